using ParallelAgents.Sdk.Tests.TestSupport;

namespace ParallelAgents.Sdk.Tests.Isolation;

public class CommandEnvironmentOptionsTests
{
    [Theory]
    [InlineData("OPENAI_API_KEY")]
    [InlineData("ANTHROPIC_API_KEY")]
    [InlineData("anthropic_api_key")]
    [InlineData("GEMINI_API_KEY")]
    [InlineData("GOOGLE_APIKEY")]
    [InlineData("GITHUB_TOKEN")]
    [InlineData("GH_TOKEN")]
    [InlineData("NPM_TOKEN")]
    [InlineData("NODE_AUTH_TOKEN")]
    [InlineData("HF_TOKEN")]
    [InlineData("HUGGING_FACE_HUB_TOKEN")]
    [InlineData("CI_JOB_TOKEN")]
    [InlineData("NUGET_API_KEY")]
    [InlineData("AWS_ACCESS_KEY_ID")]
    [InlineData("AWS_SECRET_ACCESS_KEY")]
    [InlineData("AWS_SESSION_TOKEN")]
    [InlineData("AWS_PROFILE")]
    [InlineData("AZURE_OPENAI_KEY")]
    [InlineData("AZURE_CLIENT_SECRET")]
    [InlineData("ARM_CLIENT_SECRET")]
    [InlineData("GOOGLE_APPLICATION_CREDENTIALS")]
    [InlineData("STRIPE_SECRET_KEY")]
    [InlineData("JWT_SECRET")]
    [InlineData("SECRET_KEY_BASE")]
    [InlineData("DB_PASSWORD")]
    [InlineData("PGPASSWORD")]
    [InlineData("MYSQL_PWD")]
    [InlineData("TWINE_PASSWORD")]
    [InlineData("SSH_PRIVATE_KEY")]
    [InlineData("GPG_PASSPHRASE")]
    [InlineData("AZURE_DEVOPS_EXT_PAT")]
    [InlineData("DATABASE_URL")]
    [InlineData("SENTRY_DSN")]
    [InlineData("ConnectionStrings__Default")]
    [InlineData("SLACK_WEBHOOK_URL")]
    [InlineData("DOCKER_AUTH_CONFIG")]
    [InlineData("NPM_CONFIG__AUTH")]
    [InlineData("SSH_AUTH_SOCK")]
    public void IsSecret_CommonSecretNames_AreSecretByDefault(string name)
    {
        Assert.True(new CommandEnvironmentOptions().IsSecret(name));
    }

    [Theory]
    [InlineData("PATH")]
    [InlineData("HOME")]
    [InlineData("PWD")]
    [InlineData("OLDPWD")]
    [InlineData("USER")]
    [InlineData("LANG")]
    [InlineData("TERM")]
    [InlineData("SHELL")]
    [InlineData("TMPDIR")]
    [InlineData("DOTNET_ROOT")]
    [InlineData("NODE_ENV")]
    [InlineData("JAVA_HOME")]
    [InlineData("GIT_AUTHOR_NAME")]
    [InlineData("HTTP_PROXY")]
    [InlineData("CI")]
    [InlineData("KEYTAB_DIR")]
    public void IsSecret_OrdinaryNames_AreKept(string name)
    {
        Assert.False(new CommandEnvironmentOptions().IsSecret(name));
    }

    [Fact]
    public void IsSecret_AllowedAndExtraNames_Apply()
    {
        var options = new CommandEnvironmentOptions();
        options.AllowedVariables.Add("public_token");
        options.SecretNames.Add("MY_ODD_VARIABLE");
        options.SecretPatterns.Add("CORP_??_*");

        Assert.False(options.IsSecret("PUBLIC_TOKEN"));
        Assert.True(options.IsSecret("my_odd_variable"));
        Assert.True(options.IsSecret("CORP_EU_LOGIN"));
        Assert.False(options.IsSecret("CORP_EUR_LOGIN"));
    }

    [Theory]
    [InlineData("*", "", true)]
    [InlineData("*", "ANY", true)]
    [InlineData("A*", "A", true)]
    [InlineData("A*", "BA", false)]
    [InlineData("*_KEY", "API_KEY", true)]
    [InlineData("*_KEY", "API_KEYS", false)]
    [InlineData("*KEY*", "MONKEYS", true)]
    [InlineData("*A*B*", "XAXXBX", true)]
    [InlineData("*A*B", "XAXXBXB", true)]
    [InlineData("*A*B", "XAXXBXC", false)]
    [InlineData("?", "", false)]
    [InlineData("a?c", "ABC", true)]
    [InlineData("abc", "abcd", false)]
    public void GlobMatches_Patterns_MatchWholeNamesIgnoringCase(string pattern, string name, bool expected)
    {
        Assert.Equal(expected, CommandEnvironmentOptions.GlobMatches(pattern, name));
    }

    [Fact]
    public void SecretValues_ReadsHostSecretsLongestFirstSkippingShortOnes()
    {
        using var longer = new EnvironmentVariable("PA_TEST_VALUES_API_KEY", "sk-longer-secret-value");
        using var shorter = new EnvironmentVariable("PA_TEST_VALUES_TOKEN", "tok-123");
        using var tiny = new EnvironmentVariable("PA_TEST_VALUES_PASSWORD", "abc");
        using var plain = new EnvironmentVariable("PA_TEST_VALUES_PLAIN", "not-a-secret-at-all");

        IReadOnlyList<string> values = new CommandEnvironmentOptions().SecretValues();

        int longIndex = values.ToList().IndexOf("sk-longer-secret-value");
        int shortIndex = values.ToList().IndexOf("tok-123");
        Assert.True(longIndex >= 0 && shortIndex > longIndex);
        Assert.DoesNotContain("abc", values);
        Assert.DoesNotContain("not-a-secret-at-all", values);
    }

    [Fact]
    public void Validate_Defaults_HaveNoProblems()
    {
        var problems = new List<string>();
        new CommandEnvironmentOptions().Validate(problems);

        Assert.Empty(problems);
    }

    [Fact]
    public void Validate_BadEntries_ReportsEveryProblem()
    {
        var options = new CommandEnvironmentOptions { SecretNames = null!, AllowedVariables = ["A=B"] };
        options.SecretPatterns.Add("*");
        options.SecretPatterns.Add("");
        options.Variables["BAD\0NAME"] = "x";
        options.Variables["NUL_VALUE"] = "a\0b";
        var problems = new List<string>();

        options.Validate(problems);

        Assert.Equal(6, problems.Count);
        Assert.Contains(problems, p => p.Contains("'*', which matches every variable", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.Contains("SecretNames must not be null", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.Contains("AllowedVariables has 'A=B'", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.Contains("Variables['NUL_VALUE']", StringComparison.Ordinal));
    }

    [Fact]
    public void Clone_CopiesCollections()
    {
        var options = new CommandEnvironmentOptions();
        CommandEnvironmentOptions copy = options.Clone();
        options.SecretNames.Add("LATER");
        options.Variables["LATER"] = "1";

        Assert.False(copy.IsSecret("LATER"));
        Assert.False(copy.Variables.ContainsKey("LATER"));
        Assert.Equal(options.SecretPatterns, copy.SecretPatterns);
    }
}
