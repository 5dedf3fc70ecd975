namespace VisualWords.Tests.Server;

/// <summary>Server tests run one at a time: each hosts a model, and /metrics counts are asserted exactly.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ServerCollection
{
    public const string Name = "server";
}
