using SharpGears.Runtime.Tests.Engine.Support;

namespace SharpGears.Runtime.Tests.Loading;

/// <summary>
/// The --scripts folder: each *.csx directly in it is a session named after the file. New files load,
/// changed files replace their session only when they compile and run, broken ones leave the old
/// code working and say why in RG.DUMPSESSIONS, deleted ones end their session. Each test has its own
/// folder, Redis and gateway. Scripts register triggers, so RG.TRIGGER shows which code is live.
/// </summary>
public sealed class ScriptFolderTests : IAsyncLifetime
{
    private readonly string _folder = Directory.CreateTempSubdirectory("sharpgears-scripts-").FullName;
    private readonly string _outside = Directory.CreateTempSubdirectory("sharpgears-outside-").FullName;
    private ScriptFolderGears _gears = null!;

    public async Task InitializeAsync()
    {
        _gears = new ScriptFolderGears(_folder);
        await _gears.InitializeAsync();
    }

    public async Task DisposeAsync()
    {
        await _gears.DisposeAsync();
        Directory.Delete(_folder, recursive: true);
        Directory.Delete(_outside, recursive: true);
    }

    private static string Trigger(string name, string answer) =>
        $$"""GB(Readers.Command).Map(args => "{{answer}}").Register(trigger: "{{name}}");""";

    private string PathOf(string file) => Path.Combine(_folder, file);

    private void Write(string file, string code) => File.WriteAllText(PathOf(file), code);

    /// <summary>The trigger's one record, or the error RG.TRIGGER answers (an unknown trigger, say).</summary>
    private async Task<string> TriggerAsync(string name) =>
        await _gears.ValueAsync("RG.TRIGGER", name) switch
        {
            object?[] { Length: 1 } records => (string)records[0]!,
            Reply.Error error => error.Text,
            var other => throw new InvalidOperationException($"unexpected reply {other}"),
        };

    private Task WaitForTriggerAsync(string name, string answer) =>
        Wait.UntilAsync(async () => await TriggerAsync(name) == answer, $"RG.TRIGGER {name} answers {answer}");

    private async Task<Pairs?> SessionAsync(string id) =>
        (await _gears.SessionsAsync()).SingleOrDefault(s => s.Text("ID") == id);

    private async Task<Pairs> WaitForSessionAsync(string id, Func<Pairs, bool> condition, string what)
    {
        Pairs? session = null;
        await Wait.UntilAsync(async () => (session = await SessionAsync(id)) is { } s && condition(s), what);
        return session!;
    }

    [Fact]
    public async Task AFileThereAtStartIsASessionNamedAfterIt()
    {
        await _gears.DisposeAsync();
        Write("orders.csx", Trigger("t_orders", "v1"));
        _gears = new ScriptFolderGears(_folder);
        await _gears.InitializeAsync();

        // Loaded before the gateway serves anyone: no waiting.
        Assert.Equal("v1", await TriggerAsync("t_orders"));
        var session = Assert.Single(await _gears.SessionsAsync());
        Assert.Equal("orders", session.Text("ID"));
        Assert.Equal(PathOf("orders.csx"), session.Text("origin"));
        Assert.Null(session["lastError"]);
        Assert.Single(Assert.IsType<object?[]>(session["registrations"]));
    }

    [Fact]
    public async Task ANewFileLoadsAChangedOneReplacesItsSessionAndADeletedOneEndsIt()
    {
        Write("a.csx", Trigger("t_a", "v1"));
        await WaitForTriggerAsync("t_a", "v1");
        var first = await SessionAsync("a");

        Write("a.csx", Trigger("t_a", "v2"));
        await WaitForTriggerAsync("t_a", "v2");
        var second = await SessionAsync("a");
        Assert.NotEqual(first!["registrations"], second!["registrations"]); // an UPGRADE: new registrations

        File.Delete(PathOf("a.csx"));
        await Wait.UntilAsync(async () => await SessionAsync("a") is null, "session a ends");
        Assert.StartsWith("ERR", await TriggerAsync("t_a"));
        Assert.Empty(await _gears.RegistrationsAsync());
    }

    [Fact]
    public async Task ABrokenChangeKeepsTheOldCodeAndShowsTheDiagnosticsUntilTheFileIsFixed()
    {
        Write("b.csx", Trigger("t_b", "v1"));
        await WaitForTriggerAsync("t_b", "v1");

        Write("b.csx", "var x = ;\n" + Trigger("t_b", "v2"));
        var broken = await WaitForSessionAsync("b", s => s["lastError"] is not null, "b's failure shows");
        Assert.Contains("1:9: CS1525", broken.Text("lastError")); // line and column
        Assert.Equal("v1", await TriggerAsync("t_b"));
        Assert.Single(Assert.IsType<object?[]>(broken["registrations"]));

        // A body that throws is refused the same way.
        Write("b.csx", Trigger("t_b", "v3") + "\nthrow new InvalidOperationException(\"not today\");");
        await WaitForSessionAsync("b", s => s.Text("lastError")?.Contains("not today") == true, "b's exception shows");
        Assert.Equal("v1", await TriggerAsync("t_b"));

        Write("b.csx", Trigger("t_b", "v4"));
        await WaitForTriggerAsync("t_b", "v4");
        Assert.Null((await SessionAsync("b"))!["lastError"]);
    }

    [Fact]
    public async Task ANewFileThatDoesNotCompileShowsAloneWithItsError()
    {
        Write("c.csx", "GB().Register(prefix: 12);");

        var session = await WaitForSessionAsync("c", s => s["lastError"] is not null, "c's failure shows");

        Assert.Equal(0, session.Integer("refCount"));
        Assert.Equal(PathOf("c.csx"), session.Text("origin"));
        Assert.Contains("CS1503", session.Text("lastError"));

        File.Delete(PathOf("c.csx"));
        await Wait.UntilAsync(async () => await SessionAsync("c") is null, "c's failure goes with the file");
    }

    [Fact]
    public async Task AFileWrittenInTwoPartsNeverRegistersItsFirstPart()
    {
        // The first half alone compiles and registers one trigger; onRegistered counts installs.
        var firstHalf = """
            GB(Readers.Command).Map(args => "one").Register(trigger: "t_half1", onRegistered: () => Execute("INCR", "installs"));

            """;
        var secondHalf = """GB(Readers.Command).Map(args => "two").Register(trigger: "t_half2");""";
        await using (var file = new FileStream(PathOf("half.csx"), FileMode.CreateNew, FileAccess.Write, FileShare.ReadWrite))
        {
            await file.WriteAsync(Encoding.UTF8.GetBytes(firstHalf));
            await file.FlushAsync();
            await Task.Delay(100); // a writer pausing mid-file, well inside the quiet period (ReloadDelay 500 ms)
            await file.WriteAsync(Encoding.UTF8.GetBytes(secondHalf));
        }

        await WaitForTriggerAsync("t_half2", "two");
        Assert.Equal("one", await TriggerAsync("t_half1"));
        // onRegistered runs after the install; a first half installed 500 ms before would have counted already.
        await Wait.UntilAsync(async () => await _gears.GetAsync("installs") is not null, "onRegistered ran");
        Assert.Equal("1", await _gears.GetAsync("installs")); // one install: of the whole file
    }

    [Fact]
    public async Task LoadSharesCodeFromTheFolderAndAChangeToTheLoadedFileReloadsItsUsers()
    {
        Directory.CreateDirectory(PathOf("lib"));
        Write("lib/answers.csx", """static string Answer() => "shared v1";""");
        Write("lib/not-a-session.csx", Trigger("t_below", "below")); // below the folder: not a session
        Write("user.csx", """
            #load "lib/answers.csx" // Answer()
            GB(Readers.Command).Map(args => Answer()).Register(trigger: "t_user");
            """);
        await WaitForTriggerAsync("t_user", "shared v1");

        Write("lib/answers.csx", """static string Answer() => "shared v2";""");
        await WaitForTriggerAsync("t_user", "shared v2");

        Assert.Equal(["user"], (await _gears.SessionsAsync()).Select(s => s.Text("ID")));
        Assert.StartsWith("ERR", await TriggerAsync("t_below"));
    }

    [Fact]
    public async Task AScriptOfTheFolderUsesANuGetPackageItNames()
    {
        Write("humane.csx", """
            #r "nuget: Humanizer.Core, 2.14.1"
            using Humanizer;
            GB(Readers.Command).Map(args => "a_file_of_the_folder".Humanize()).Register(trigger: "t_humane");
            """);

        await WaitForTriggerAsync("t_humane", "a file of the folder");
        Assert.Equal(["Humanizer.Core==2.14.1"], Reply.Strings((await SessionAsync("humane"))!["requirements"]));
    }

    [Fact]
    public async Task NothingOutsideTheFolderIsReadNeitherThroughALinkNorThroughLoad()
    {
        File.WriteAllText(Path.Combine(_outside, "secret.csx"), Trigger("t_secret", "outside"));
        File.CreateSymbolicLink(PathOf("linked.csx"), Path.Combine(_outside, "secret.csx"));
        Write("inside.csx", Trigger("t_inside", "inside"));
        Directory.CreateDirectory(PathOf("versions"));
        Write("versions/v7.csx", Trigger("t_alias", "v7"));
        File.CreateSymbolicLink(PathOf("alias.csx"), PathOf("versions/v7.csx")); // a link within the folder is followed
        Write("escape.csx", $"#load \"../{Path.GetFileName(_outside)}/secret.csx\"\n" + Trigger("t_escape", "escaped"));

        var escape = await WaitForSessionAsync("escape", s => s["lastError"] is not null, "escape's failure shows");
        Assert.Contains("CS1504", escape.Text("lastError")); // the #load'ed file "could not be found"
        await WaitForTriggerAsync("t_inside", "inside");
        Assert.StartsWith("ERR", await TriggerAsync("t_secret"));
        Assert.StartsWith("ERR", await TriggerAsync("t_escape"));
        await WaitForTriggerAsync("t_alias", "v7");
        Assert.Equal(["alias", "escape", "inside"], (await _gears.SessionsAsync()).Select(s => s.Text("ID")).Order());
    }

    [Fact]
    public async Task ALoopOfLinksIsIgnoredAndTheOtherFilesLoad()
    {
        File.CreateSymbolicLink(PathOf("loop1.csx"), PathOf("loop2.csx"));
        File.CreateSymbolicLink(PathOf("loop2.csx"), PathOf("loop1.csx"));
        Write("good.csx", Trigger("t_good", "good"));

        await WaitForTriggerAsync("t_good", "good");
        Assert.Equal(["good"], (await _gears.SessionsAsync()).Select(s => s.Text("ID")));
    }

    [Fact]
    public async Task AFolderThatNeverStaysQuietIsStillScanned()
    {
        Directory.CreateDirectory(PathOf("logs"));
        using var stop = new CancellationTokenSource();
        // A log below the folder, written more often than the quiet period (500 ms) allows.
        var writer = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                await File.AppendAllTextAsync(PathOf("logs/app.log"), "busy\n");
                await Task.Delay(50);
            }
        });
        try
        {
            Write("busy.csx", Trigger("t_busy", "busy"));

            await WaitForTriggerAsync("t_busy", "busy"); // scanned within a poll period (5 s) all the same
        }
        finally
        {
            await stop.CancelAsync();
            await writer;
        }
    }

    [Fact]
    public async Task ASessionFromAFileIsChangedThroughItsFileNotThroughRgCsExecute()
    {
        Write("owned.csx", Trigger("t_owned", "file"));
        await WaitForTriggerAsync("t_owned", "file");

        var reply = await _gears.SubmitAsync(Trigger("t_owned", "submitted"), "ID", "owned", "UPGRADE");

        Assert.StartsWith("-ERR Session owned is loaded from " + PathOf("owned.csx"), reply);
        Assert.Equal("file", await TriggerAsync("t_owned"));
    }

    [Fact]
    public async Task AFileTakesThePlaceOfASubmittedSessionOfItsName()
    {
        await _gears.SubmitOkAsync(Trigger("t_taken", "submitted"), "ID", "taken");

        Write("taken.csx", Trigger("t_taken", "file"));

        await WaitForTriggerAsync("t_taken", "file");
        Assert.Equal(PathOf("taken.csx"), (await SessionAsync("taken"))!.Text("origin"));
    }

    [Fact]
    public async Task TheFolderIsReadAgainAfterARestartAndFilesDeletedMeanwhileAreGone()
    {
        Write("kept.csx", Trigger("t_kept", "kept"));
        Write("dropped.csx", Trigger("t_dropped", "dropped"));
        await WaitForTriggerAsync("t_kept", "kept");
        await WaitForTriggerAsync("t_dropped", "dropped");
        await _gears.DisposeAsync();

        File.Delete(PathOf("dropped.csx"));
        _gears = new ScriptFolderGears(_folder);
        await _gears.InitializeAsync();

        Assert.Equal("kept", await TriggerAsync("t_kept"));
        Assert.StartsWith("ERR", await TriggerAsync("t_dropped"));
        Assert.Equal(["kept"], (await _gears.SessionsAsync()).Select(s => s.Text("ID")));
    }

    /// <summary>A gateway watching <paramref name="folder"/>, with a quiet period long enough for <see cref="AFileWrittenInTwoPartsNeverRegistersItsFirstPart"/>.</summary>
    private sealed class ScriptFolderGears(string folder) : GearsFixture
    {
        public override async Task InitializeAsync()
        {
            Redis = new RedisServer();
            Gateway = await GatewayHost.StartAsync(Redis, "--scripts", folder, "--SharpGears:ReloadDelay=500");
        }
    }
}
