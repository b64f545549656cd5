// docs/claims.md names, for each README claim, the test that backs it: every named test must exist
// (a renamed or deleted test breaks the table, and this test says which row).
using System.Reflection;
using System.Text.RegularExpressions;

namespace ScratchNet.Tests.Docs;

public partial class ClaimsDocTests
{
    [GeneratedRegex(@"`(?<class>[A-Z]\w+)\.(?<method>[A-Z]\w+)`")]
    private static partial Regex TestName();

    [Fact]
    public void Every_test_named_in_claims_md_exists()
    {
        string root = AppContext.BaseDirectory;
        while (!File.Exists(Path.Combine(root, "docs", "claims.md")))
        {
            root = Path.GetDirectoryName(root) ?? throw new DirectoryNotFoundException("docs/claims.md not found above the test folder.");
        }
        string text = File.ReadAllText(Path.Combine(root, "docs", "claims.md"));
        var tests = typeof(ClaimsDocTests).Assembly.GetTypes()
            .SelectMany(t => t.GetMethods(BindingFlags.Public | BindingFlags.Instance).Select(m => (Class: t.Name, Method: m)))
            .Where(x => x.Method.GetCustomAttributes<FactAttribute>().Any())
            .Select(x => $"{x.Class}.{x.Method.Name}")
            .ToHashSet();
        var named = TestName().Matches(text).Select(m => m.Value.Trim('`')).Where(n => !n.StartsWith("Pieces.", StringComparison.Ordinal)).ToList();
        Assert.True(named.Count >= 30, $"claims.md names only {named.Count} tests");
        List<string> missing = [.. named.Where(n => !tests.Contains(n))];
        Assert.True(missing.Count == 0, "claims.md names tests that do not exist: " + string.Join(", ", missing));
    }
}
