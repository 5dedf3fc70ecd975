using Xunit;
using System.Text.Json;
using TorchSharp;
using VisualWords.Sam;
using static TorchSharp.torch;

namespace VisualWords.Tests.Sam;

/// <summary>
/// Runs alone: building on the meta device switches TorchSharp's process-wide default device.
/// </summary>
[CollectionDefinition(nameof(MetaDeviceCollection), DisableParallelization = true)]
public class MetaDeviceCollection { }

/// <summary>
/// Our full-size models have exactly the keys, shapes and dtypes of the official state dicts
/// (sam_vit_b_01ec64.pth, sam_vit_l_0b3195.pth, sam_vit_h_4b8939.pth, mobile_sam.pt), so those
/// load strictly. Built on the meta device: shapes without 0.1-2.5 GB of weights.
/// </summary>
[Collection(nameof(MetaDeviceCollection))]
public class SamManifestTests
{
    [Theory]
    [InlineData("vit_b")]
    [InlineData("vit_l")]
    [InlineData("vit_h")]
    [InlineData("vit_t")]
    public void FullSizeModel_HasExactlyTheOfficialKeysAndShapes(string modelType)
    {
        using var manifest = JsonDocument.Parse(File.ReadAllText(SamGoldens.Path($"manifest_{modelType}.json")));
        var expected = manifest.RootElement.GetProperty("keys").EnumerateArray().ToDictionary(
            k => k[0].GetString()!,
            k => (Shape: string.Join(",", k[1].EnumerateArray().Select(d => d.GetInt64())), DType: k[2].GetString()!));

        var previous = torch.get_default_device();
        torch.set_default_device(torch.META);
        try
        {
            using var model = new SamModel(SamModelConfig.Get(modelType));
            var ours = model.state_dict().ToDictionary(
                kv => kv.Key,
                kv => (Shape: string.Join(",", kv.Value.shape), DType: kv.Value.dtype == ScalarType.Int64 ? "int64" : kv.Value.dtype == ScalarType.Float32 ? "float32" : kv.Value.dtype.ToString()));
            var missing = expected.Keys.Except(ours.Keys).ToList();
            var extra = ours.Keys.Except(expected.Keys).ToList();
            Assert.True(missing.Count == 0, "missing: " + string.Join(", ", missing.Take(20)));
            Assert.True(extra.Count == 0, "extra: " + string.Join(", ", extra.Take(20)));
            var wrong = expected.Where(kv => ours[kv.Key] != kv.Value)
                .Select(kv => $"{kv.Key}: official {kv.Value} ours {ours[kv.Key]}").ToList();
            Assert.True(wrong.Count == 0, string.Join("; ", wrong.Take(20)));
            Assert.True(model.parameters().All(p => p.device_type == DeviceType.META), "built on the meta device");
        }
        finally
        {
            torch.set_default_device(previous);
        }
    }
}
