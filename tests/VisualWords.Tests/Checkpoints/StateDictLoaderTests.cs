using TorchSharp;
using TorchSharp.Modules;
using VisualWords.Checkpoints;
using static TorchSharp.torch;

namespace VisualWords.Tests.Checkpoints;

public class StateDictLoaderTests
{
    sealed class Tiny : nn.Module<Tensor, Tensor>
    {
        public readonly Linear encoder = nn.Linear(5, 3);
        public readonly LayerNorm norm = nn.LayerNorm(3);
        public Tiny() : base(nameof(Tiny)) => RegisterComponents();
        public override Tensor forward(Tensor x) => norm.forward(encoder.forward(x));
    }

    static StateDict Matching()
    {
        var sd = new StateDict();
        sd.Add("encoder.weight", ones(3, 5));
        sd.Add("encoder.bias", full(3, 0.5f));
        sd.Add("norm.weight", full(3, 2f));
        sd.Add("norm.bias", zeros(3));
        return sd;
    }

    [Fact]
    public void Matching_state_dict_loads_every_value()
    {
        using var m = new Tiny();
        using var sd = Matching();
        var report = StateDictLoader.LoadInto(m, sd);
        Assert.True(report.IsClean);
        Assert.Equal(4, report.Loaded.Count);
        Assert.True(TensorAssert.Same(m.encoder.weight!, ones(3, 5)));
        Assert.Equal(0.5f, m.encoder.bias![1].item<float>());
    }

    [Fact]
    public void Strict_mode_names_every_missing_unexpected_and_mismatched_key()
    {
        using var m = new Tiny();
        using var before = m.norm.weight!.clone();
        using var sd = new StateDict();
        sd.Add("encoder.weight", ones(3, 4));   // wrong shape
        sd.Add("norm.weight", ones(3));
        sd.Add("head.weight", ones(2));         // unexpected
        var e = Assert.Throws<BadInputException>(() => StateDictLoader.LoadInto(m, sd));
        Assert.Contains("encoder.bias", e.Message);     // missing
        Assert.Contains("norm.bias", e.Message);        // missing
        Assert.Contains("head.weight", e.Message);      // unexpected
        Assert.Contains("encoder.weight: checkpoint [3, 4] vs model [3, 5]", e.Message);
        Assert.True(TensorAssert.Same(m.norm.weight!, before), "a failed strict load must not change the module");
    }

    [Fact]
    public void Non_strict_mode_reports_and_loads_what_matches()
    {
        using var m = new Tiny();
        using var sd = new StateDict();
        sd.Add("encoder.weight", ones(3, 5));
        sd.Add("extra", ones(1));
        var r = StateDictLoader.LoadInto(m, sd, new LoadOptions { Strict = false });
        Assert.Equal(new[] { "encoder.weight" }, r.Loaded);
        Assert.Equal(new[] { "extra" }, r.Unexpected);
        Assert.Equal(new[] { "encoder.bias", "norm.bias", "norm.weight" }, r.Missing.OrderBy(k => k, StringComparer.Ordinal));
        Assert.True(TensorAssert.Same(m.encoder.weight!, ones(3, 5)));
    }

    [Fact]
    public void Prefix_renames_map_other_projects_keys_and_casts_half_precision()
    {
        using var m = new Tiny();
        using var sd = new StateDict();
        foreach (var (k, t) in Matching()) sd.Add("model.visual_model." + k, t.to(ScalarType.BFloat16));
        sd.Add("model.text_hidden_fcs.0.weight", ones(2, 2));
        var r = StateDictLoader.LoadInto(m, sd, new LoadOptions
        {
            PrefixRenames = [("model.visual_model.", "")],
            OnlyPrefixes = ["encoder.", "norm."],
        });
        Assert.True(r.IsClean, r.ToString());
        Assert.Equal(4, r.DtypeMismatches.Count);
        Assert.Equal(ScalarType.Float32, m.encoder.weight!.dtype);
        Assert.Equal(2f, m.norm.weight![0].item<float>());
    }
}
