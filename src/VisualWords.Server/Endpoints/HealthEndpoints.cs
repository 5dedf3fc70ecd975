using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using VisualWords.Server.Inference;

namespace VisualWords.Server.Endpoints;

/// <summary>/healthz: the process answers (liveness). /readyz: the model is loaded (readiness).</summary>
public static class HealthEndpoints
{
    public const string Liveness = "/healthz";
    public const string Readiness = "/readyz";

    public static void Map(WebApplication app)
    {
        app.MapGet(Liveness, () => Results.Text("ok"));
        app.MapGet(Readiness, (ModelHolder model) => model.Model != null
            ? Results.Text("ready")
            : Results.Problem(statusCode: 503, title: "Service unavailable", detail: model.Status));
    }
}
