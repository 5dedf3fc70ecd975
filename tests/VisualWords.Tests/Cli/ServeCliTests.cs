namespace VisualWords.Tests.Cli;

/// <summary><c>visualwords serve</c> refuses bad options before it opens a port (exit 2, one line).</summary>
[Collection(CliCollection.Name)]
public class ServeCliTests
{
    [Theory]
    [InlineData("--model", "/nonexistent/model", "model folder not found")]
    [InlineData("--concurrency", "0", "inference concurrency must be positive")]
    [InlineData("--port", "70000", "port 70000")]
    public void Bad_serve_options_exit_2_with_a_message(string option, string value, string message)
    {
        var (code, _, err) = CliRunner.Run("serve", option, value);
        Assert.Equal(2, code);
        Assert.Contains(message, err);
    }
}
