using SharpGears.Api;
using SharpGears.Runtime.Scripting.Requirements;

namespace SharpGears.Runtime.Tests.Requirements;

/// <summary>
/// Requirements as users write them (<c>Package==Version</c> after REQUIREMENTS, <c>#r "nuget: Package,
/// Version"</c> in a script), how they combine into one set per session, and the error a failed restore
/// gives; in process, nothing restored.
/// </summary>
public sealed class PackageRequirementTests
{
    [Theory]
    [InlineData("Humanizer.Core==2.14.1", "Humanizer.Core", "2.14.1")]
    [InlineData("Npgsql==10.0.0", "Npgsql", "10.0.0")]
    [InlineData("Some.Package==1.0.0-beta.2+build.5", "Some.Package", "1.0.0-beta.2+build.5")]
    [InlineData("Newtonsoft.Json", "Newtonsoft.Json", null)]
    public void RequirementsArePackageEqualsEqualsVersionOrAPackageAlone(string text, string name, string? version) =>
        Assert.Equal(new PackageRequirement(name, version), PackageRequirement.FromRequirement(text));

    [Theory]
    [InlineData("nuget: Humanizer.Core, 2.14.1", "Humanizer.Core", "2.14.1")]
    [InlineData("nuget:Humanizer.Core,2.14.1", "Humanizer.Core", "2.14.1")]
    [InlineData("NuGet:  Newtonsoft.Json ,  13.0.1 ", "Newtonsoft.Json", "13.0.1")]
    [InlineData("nuget: Newtonsoft.Json", "Newtonsoft.Json", null)]
    public void DirectivesAreNugetColonPackageCommaVersionOrAPackageAlone(string reference, string name, string? version)
    {
        Assert.True(PackageRequirement.IsDirective(reference));
        Assert.Equal(new PackageRequirement(name, version), PackageRequirement.FromDirective(reference));
    }

    [Theory]
    [InlineData("Humanizer.Core>=2.14.1")]  // pip's other operators: NuGet ranges are not offered
    [InlineData("Humanizer.Core==")]
    [InlineData("Humanizer.Core==latest")]
    [InlineData("Humanizer.Core==[2.14.1]")]
    [InlineData("==2.14.1")]
    [InlineData("Bad\"Name==1.0.0")]       // nothing but a package id reaches the generated project
    [InlineData("Two Words==1.0.0")]
    public void AnythingElseIsRefusedWithWhatToWrite(string text)
    {
        var error = Assert.Throws<GearsException>(() => PackageRequirement.FromRequirement(text));
        Assert.Contains($"'{text}'", error.Message);
        Assert.Contains("Package==Version", error.Message);
    }

    [Fact]
    public void AMalformedDirectiveIsRefusedWithWhatToWrite()
    {
        var error = Assert.Throws<GearsException>(() => PackageRequirement.FromDirective("nuget: Humanizer.Core, >= 2"));
        Assert.Contains("#r \"nuget: Package, Version\"", error.Message);
        Assert.False(PackageRequirement.IsDirective("lib/Humanizer.dll"));
    }

    [Fact]
    public void RequirementsShowAsPackageEqualsEqualsVersion()
    {
        Assert.Equal("Humanizer.Core==2.14.1", new PackageRequirement("Humanizer.Core", "2.14.1").ToString());
        Assert.Equal("Newtonsoft.Json", new PackageRequirement("Newtonsoft.Json", null).ToString());
    }

    [Fact]
    public void ASetHasEachPackageOnceAndIsTheSameWhateverTheOrderOrCase()
    {
        var one = RequirementSet.Of([new("Humanizer.Core", "2.14.1"), new("Newtonsoft.Json", "13.0.1"), new("humanizer.core", "2.14.1")]);
        var other = RequirementSet.Of([new("NEWTONSOFT.JSON", "13.0.1"), new("Humanizer.Core", "2.14.1")]);
        var older = RequirementSet.Of([new("Humanizer.Core", "2.8.26"), new("Newtonsoft.Json", "13.0.1")]);

        Assert.Equal(["Humanizer.Core==2.14.1", "Newtonsoft.Json==13.0.1"], one.Requirements.Select(r => r.ToString()));
        Assert.Equal(one.Id, other.Id);
        Assert.NotEqual(one.Id, older.Id);
    }

    [Fact]
    public void OnePackageInTwoVersionsInOneSessionIsRefused()
    {
        var error = Assert.Throws<GearsException>(() => RequirementSet.Of([new("Humanizer.Core", "2.14.1"), new("Humanizer.Core", "2.8.26")]));
        Assert.Contains("Humanizer.Core==2.14.1", error.Message);
        Assert.Contains("Humanizer.Core==2.8.26", error.Message);
    }

    [Fact]
    public void ARestoreFailureNamesTheRequirementNuGetCouldNotFindWithNuGetsReason()
    {
        var set = RequirementSet.Of([new("Humanizer.Core", "2.14.1"), new("NoSuchPackage", "1.0.0")]);
        ProjectAssets.RestoreError[] errors =
        [
            new("NU1101", "Unable to find package NoSuchPackage. No packages exist with this id in source(s): nuget.org", "NoSuchPackage"),
        ];

        Assert.Equal(
            "requirement NoSuchPackage==1.0.0 could not be restored: Unable to find package NoSuchPackage. No packages exist with this id in source(s): nuget.org (NU1101)",
            PackageRestorer.Failure(set, errors, output: ""));
    }

    [Fact]
    public void WithoutTheAssetsFileTheErrorLinesOfTheOutputSayWhyAndTheirFurtherLinesJoinThem()
    {
        var set = RequirementSet.Of([new("Humanizer.Core", "9.9.9")]);
        const string output = """
              Determining projects to restore...
            /data/requirements/sets/1/requirements.csproj : error NU1102: Unable to find package Humanizer.Core with version (= 9.9.9)
            /data/requirements/sets/1/requirements.csproj : error NU1102:   - Found 2 version(s) in nuget.org [ Nearest version: 2.14.1 ]
              Failed to restore /data/requirements/sets/1/requirements.csproj (in 157 ms).
            """;

        Assert.Equal(
            "requirement Humanizer.Core==9.9.9 could not be restored: Unable to find package Humanizer.Core with version (= 9.9.9) - Found 2 version(s) in nuget.org [ Nearest version: 2.14.1 ] (NU1102)",
            PackageRestorer.Failure(set, [], output));
    }

    [Fact]
    public void AMissingDependencyNamesEveryRequirementSinceNoneIsMissingItself()
    {
        var set = RequirementSet.Of([new("Some.Library", "1.0.0")]);
        ProjectAssets.RestoreError[] errors = [new("NU1101", "Unable to find package Some.Dependency. No packages exist with this id in source(s): nuget.org", "Some.Dependency")];

        Assert.StartsWith("requirement Some.Library==1.0.0 could not be restored: Unable to find package Some.Dependency.", PackageRestorer.Failure(set, errors, ""));
    }
}
