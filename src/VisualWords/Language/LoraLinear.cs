using TorchSharp;
using TorchSharp.Modules;
using TorchSharp.Utils;
using static TorchSharp.torch;

namespace VisualWords.Language;

/// <summary>
/// A bias-free projection <c>y = x Wᵀ</c> that can carry a LoRA adapter (Hu et al. 2021):
/// <c>y = x Wᵀ + (α/r) · B(A(dropout(x)))</c>. The base weight keeps its checkpoint name
/// (<c>…q_proj.weight</c>); the adapter lives in <c>lora_A</c> / <c>lora_B</c> like PEFT's
/// <c>…q_proj.lora_A.weight</c>, so both the base model and the adapter load by name.
/// </summary>
public sealed class LoraLinear : nn.Module<Tensor, Tensor>
{
#pragma warning disable IDE1006 // checkpoint key names
    [ComponentName(Name = "weight")] Parameter _weight;
    Linear? lora_A;
    Linear? lora_B;
#pragma warning restore IDE1006
    /// <summary>The base weight (out x in); assigning re-registers it (vocabulary resize, weight tying).</summary>
    public Parameter weight { get => _weight; set { _weight = value; ConditionallyRegisterParameter("weight", value); } }
    double _scaling;
    double _dropout;

    public long InFeatures => weight.shape[1];
    public long OutFeatures => weight.shape[0];
    public bool HasAdapter => lora_A is not null;
    /// <summary>True while the adapter is folded into <see cref="weight"/> (inference speed, no extra matmuls).</summary>
    public bool IsMerged { get; private set; }
    public int Rank => (int)(lora_A?.weight!.shape[0] ?? 0);

    public LoraLinear(long inFeatures, long outFeatures, Device? device = null, ScalarType dtype = ScalarType.Float32,
        bool initialize = true) : base("LoraLinear")
    {
        var w = empty(outFeatures, inFeatures, dtype: dtype, device: device);
        if (initialize && w.device_type != DeviceType.META)
            using (no_grad()) nn.init.normal_(w, 0.0, 0.02);
        _weight = new Parameter(w);
        RegisterComponents();
    }

    /// <summary>Adds a rank-<paramref name="rank"/> adapter: A random (Kaiming-uniform as PEFT), B zero so it starts as identity.</summary>
    public void AddAdapter(int rank, double alpha, double dropout)
    {
        if (HasAdapter) throw new InvalidOperationException("this projection already has a LoRA adapter");
        if (rank <= 0) throw new BadInputException($"LoRA rank must be positive (got {rank})");
        if (dropout is < 0 or >= 1) throw new BadInputException($"LoRA dropout must be in [0,1) (got {dropout})");
        lora_A = nn.Linear(InFeatures, rank, hasBias: false, device: weight.device, dtype: weight.dtype);
        lora_B = nn.Linear(rank, OutFeatures, hasBias: false, device: weight.device, dtype: weight.dtype);
        using (no_grad())
        {
            nn.init.kaiming_uniform_(lora_A.weight!, a: Math.Sqrt(5));
            lora_B.weight!.zero_();
        }
        register_module("lora_A", lora_A);
        register_module("lora_B", lora_B);
        _scaling = alpha / rank;
        _dropout = dropout;
    }

    /// <summary>The dense update (α/r)·B·A that merging adds to the base weight.</summary>
    public Tensor DeltaWeight()
    {
        if (lora_A is null || lora_B is null) throw new InvalidOperationException("no LoRA adapter");
        using var scope = NewDisposeScope();
        var delta = lora_B.weight!.matmul(lora_A.weight!).mul(_scaling);
        return scope.MoveToOuter(delta);
    }

    public void Merge()
    {
        if (IsMerged || !HasAdapter) return;
        using var _ = no_grad();
        using var d = DeltaWeight();
        weight.add_(d.to_type(weight.dtype));
        IsMerged = true;
    }

    public void Unmerge()
    {
        if (!IsMerged) return;
        using var _ = no_grad();
        using var d = DeltaWeight();
        weight.sub_(d.to_type(weight.dtype));
        IsMerged = false;
    }

    public override Tensor forward(Tensor x)
    {
        if (lora_A is null || lora_B is null || IsMerged) return nn.functional.linear(x, weight);
        using var scope = NewDisposeScope();
        var baseOut = nn.functional.linear(x, weight);
        var dropped = _dropout > 0 ? nn.functional.dropout(x, _dropout, training) : x;
        var update = lora_B.forward(lora_A.forward(dropped)).mul(_scaling);
        return scope.MoveToOuter(baseOut + update);
    }
}
