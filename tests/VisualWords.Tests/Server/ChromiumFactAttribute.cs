namespace VisualWords.Tests.Server;

/// <summary>
/// A fact that needs Debian's Chromium (Playwright's own browser download cannot work here).
/// test.sh installs it when missing; the test is skipped, saying why, only where that failed.
/// </summary>
public sealed class ChromiumFactAttribute : FactAttribute
{
    /// <summary>The browser: $VW_CHROMIUM, else Debian's /usr/bin/chromium.</summary>
    public static string ExecutablePath => Environment.GetEnvironmentVariable("VW_CHROMIUM") ?? "/usr/bin/chromium";

    public ChromiumFactAttribute()
    {
        if (!File.Exists(ExecutablePath))
            Skip = $"no Chromium at {ExecutablePath}: install it with `apt-get install -y chromium` (./test.sh does when it runs as root)";
    }
}
