using System.Globalization;
using VisualWords.Cli;
using VisualWords.Server.Endpoints;
using YamlDotNet.Serialization;

namespace VisualWords.Tests.Server;

/// <summary>deploy/k8s/serve agrees with the server: the command parses, probes hit its endpoints on its port.</summary>
public class DeployManifestTests
{
    static Dictionary<object, object> Load(string file) =>
        new DeserializerBuilder().Build().Deserialize<Dictionary<object, object>>(
            File.ReadAllText(Path.Combine(Fixtures.RepoRoot(), "deploy", "k8s", "serve", file)));

    static object Get(object node, params object[] path)
    {
        foreach (var key in path)
            node = key is int i ? ((List<object>)node)[i] : ((Dictionary<object, object>)node)[key];
        return node;
    }

    static string Str(object node, params object[] path) => Convert.ToString(Get(node, path), CultureInfo.InvariantCulture)!;

    [Fact]
    public void Deployment_runs_serve_with_probes_on_its_port_and_a_read_only_model()
    {
        var d = Load("deployment.yaml");
        Assert.Equal("Deployment", Str(d, "kind"));
        var container = Get(d, "spec", "template", "spec", "containers", 0);
        var args = ((List<object>)Get(container, "args")).Select(a => (string)a).ToArray();

        var parsed = CliApp.Build().Parse(args);
        Assert.Empty(parsed.Errors);
        Assert.Equal("serve", parsed.CommandResult.Command.Name);
        string port = args[Array.IndexOf(args, "--port") + 1];
        Assert.Equal("0.0.0.0", args[Array.IndexOf(args, "--host") + 1]); // reachable from the Service

        Assert.Equal("http", Str(container, "ports", 0, "name"));
        Assert.Equal(port, Str(container, "ports", 0, "containerPort"));
        Assert.Equal(HealthEndpoints.Readiness, Str(container, "readinessProbe", "httpGet", "path"));
        Assert.Equal(HealthEndpoints.Liveness, Str(container, "livenessProbe", "httpGet", "path"));
        Assert.Equal("http", Str(container, "readinessProbe", "httpGet", "port"));
        Assert.Equal("http", Str(container, "livenessProbe", "httpGet", "port"));

        var mount = Get(container, "volumeMounts", 0);
        Assert.Equal("true", Str(mount, "readOnly"));
        Assert.StartsWith(Str(mount, "mountPath") + "/", args[Array.IndexOf(args, "--model") + 1]);
        Assert.Equal(Str(mount, "name"), Str(d, "spec", "template", "spec", "volumes", 0, "name"));
        Assert.NotNull(Get(container, "resources", "requests", "memory"));
        Assert.NotNull(Get(container, "resources", "requests", "cpu"));
    }

    [Fact]
    public void Service_selects_the_pods_with_client_ip_affinity_and_the_hpa_scales_the_deployment_on_cpu()
    {
        var d = Load("deployment.yaml");
        var s = Load("service.yaml");
        var h = Load("hpa.yaml");
        var podLabels = (Dictionary<object, object>)Get(d, "spec", "template", "metadata", "labels");
        foreach (var (k, v) in (Dictionary<object, object>)Get(s, "spec", "selector")) Assert.Equal(v, podLabels[k]);
        Assert.Equal(Str(d, "spec", "template", "spec", "containers", 0, "ports", 0, "name"), Str(s, "spec", "ports", 0, "targetPort"));
        Assert.Equal("ClientIP", Str(s, "spec", "sessionAffinity"));

        Assert.Equal("HorizontalPodAutoscaler", Str(h, "kind"));
        Assert.Equal(Str(d, "metadata", "name"), Str(h, "spec", "scaleTargetRef", "name"));
        Assert.Equal("Deployment", Str(h, "spec", "scaleTargetRef", "kind"));
        Assert.Equal("cpu", Str(h, "spec", "metrics", 0, "resource", "name"));
    }
}
