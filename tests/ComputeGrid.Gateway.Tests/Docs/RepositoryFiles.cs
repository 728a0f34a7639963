namespace ComputeGrid.Gateway.Tests.Docs;

/// <summary>Files of the repository the tests run from, found by walking up from the test assembly to ComputeGrid.sln.</summary>
internal static class RepositoryFiles
{
    /// <summary>The repository's root folder.</summary>
    public static string Root { get; } = FindRoot();

    /// <summary>The text of <paramref name="relativePath"/> (forward slashes) under the root.</summary>
    public static string Read(string relativePath) =>
        File.ReadAllText(Path.Combine([Root, .. relativePath.Split('/')]));

    /// <summary>
    /// The bodies of the fenced code blocks of <paramref name="markdown"/> whose info string is <paramref name="language"/>,
    /// in document order, without their fences.
    /// </summary>
    public static IReadOnlyList<string> CodeBlocks(string markdown, string language)
    {
        var blocks = new List<string>();
        List<string>? current = null;
        var inOther = false;
        foreach (var line in markdown.Split('\n').Select(l => l.TrimEnd('\r')))
        {
            var fence = line.TrimStart().StartsWith("```", StringComparison.Ordinal);
            if (current is not null)
            {
                if (fence)
                {
                    blocks.Add(string.Join('\n', current));
                    current = null;
                }
                else
                {
                    current.Add(line);
                }
            }
            else if (inOther)
            {
                inOther = !fence;
            }
            else if (fence)
            {
                if (line.Trim() == "```" + language)
                {
                    current = [];
                }
                else
                {
                    inOther = true;
                }
            }
        }

        return blocks;
    }

    private static string FindRoot()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "ComputeGrid.sln")))
        {
            directory = directory.Parent;
        }

        return directory?.FullName ?? throw new InvalidOperationException($"No ComputeGrid.sln above {AppContext.BaseDirectory}.");
    }
}
