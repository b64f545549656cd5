// docs/math.md maps each equation to the code of each engine with links of the form
// ../src/ScratchNet/FILE.cs#Symbol: every linked file must exist and declare or use the symbol, so the
// page cannot silently point at code that was renamed, moved or deleted.
using System.Text.RegularExpressions;

namespace ScratchNet.Tests.Docs;

public partial class MathDocTests
{
    [GeneratedRegex(@"\]\((?<path>\.\./src/[^)#\s]+\.cs)#(?<symbol>\w+)\)")]
    private static partial Regex CodeLink();

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "docs", "math.md")) && Directory.Exists(Path.Combine(dir.FullName, "src")))
            {
                return dir.FullName;
            }
        }
        throw new DirectoryNotFoundException("docs/math.md not found above the test folder.");
    }

    /// <summary>The links of <paramref name="markdown"/> (relative to <paramref name="docsFolder"/>) whose file or symbol is missing.</summary>
    internal static List<string> BrokenLinks(string markdown, string docsFolder)
    {
        var broken = new List<string>();
        foreach (Match link in CodeLink().Matches(markdown))
        {
            string path = Path.GetFullPath(Path.Combine(docsFolder, link.Groups["path"].Value));
            string symbol = link.Groups["symbol"].Value;
            if (!File.Exists(path))
            {
                broken.Add($"{link.Groups["path"].Value}: no such file");
            }
            else if (!Regex.IsMatch(File.ReadAllText(path), $@"\b{Regex.Escape(symbol)}\b"))
            {
                broken.Add($"{link.Groups["path"].Value}#{symbol}: the file has no {symbol}");
            }
        }
        return broken;
    }

    [Fact]
    public void Every_code_link_in_math_md_points_at_an_existing_file_and_symbol()
    {
        string root = RepositoryRoot();
        string markdown = File.ReadAllText(Path.Combine(root, "docs", "math.md"));
        int links = CodeLink().Count(markdown);
        Assert.True(links >= 60, $"math.md has only {links} code links");
        foreach (string engine in new[] { "Engines/Layers/", "Engines/Fused/", "Engines/Packed/" })
        {
            Assert.Contains(engine, markdown);
        }
        Assert.Empty(BrokenLinks(markdown, Path.Combine(root, "docs")));
    }

    [Fact]
    public void A_renamed_symbol_or_a_moved_file_is_reported()
    {
        string docs = Path.Combine(RepositoryRoot(), "docs");
        Assert.Empty(BrokenLinks("[ok](../src/ScratchNet/Layers/Dense.cs#Forward)", docs));
        Assert.Single(BrokenLinks("[gone](../src/ScratchNet/Layers/Dense.cs#ForwardPassThatIsNotThere)", docs));
        Assert.Single(BrokenLinks("[moved](../src/ScratchNet/Training/PackedTwoLayerStep.cs#Run)", docs));
    }
}
