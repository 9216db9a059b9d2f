using ParallelAgents.Sdk.Tests.TestSupport;

namespace ParallelAgents.Sdk.Tests.Internal;

/// <summary>What the engine's redactor removes from logs, reports and transcripts, and what it must leave alone.</summary>
public class SecretRedactorTests
{
    // Made-up keys of the vendors' shapes; none is a real credential.
    public static TheoryData<string, string> Keys => new()
    {
        { "openai", "sk-4fG7hK2mN9pQ1rS5tV8wX3yZ6aB0cD" },
        { "openai project", "sk-proj-Ab3dEf6hIj9kLm2nOp5qRs8tUv1wXy4z_Q7" },
        { "anthropic", "sk-ant-api03-Zx9Yw8Vu7Ts6Rq5Po4Nm3Lk2Ji1Hg0Fe-AbCd" },
        { "github classic", "ghp_1a2B3c4D5e6F7g8H9i0J1k2L3m4N5o6P7q8R" },
        { "github oauth", "gho_ZyXwVuTsRqPoNmLkJiHgFeDcBa0123456789" },
        { "github fine-grained", "github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJ" },
        { "aws", "AKIAIOSFODNN7EXAMPLE" },
        { "slack", "xoxb-123456789012-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx" },
        { "google", "AIzaSyD-9tSrke72PouQMnMX-a7eZSW0jkFMBWY" },
        { "jwt", "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U" },
    };

    [Theory]
    [MemberData(nameof(Keys))]
    public void Redact_KeyInProse_MasksTheKeyOnly(string vendor, string key)
    {
        string text = $"the {vendor} key is {key}, do not share it";

        string redacted = SecretRedactor.PatternsOnly.Redact(text);

        Assert.Equal($"the {vendor} key is [REDACTED], do not share it", redacted);
    }

    [Theory]
    [InlineData("Authorization: Bearer 9f8e7d6c5b4a3f2e1d0c9b8a7f6e5d4c", "Authorization: Bearer [REDACTED]")]
    [InlineData("curl -H 'Authorization: Basic dXNlcjpwYXNzd29yZDEyMzQ1Ng=='", "curl -H 'Authorization: Basic [REDACTED]'")]
    [InlineData("OPENAI_API_KEY=Zk39Qm2Lw8Xr5Tb1Nc7V", "OPENAI_API_KEY=[REDACTED]")]
    [InlineData("export DB_PASSWORD='x7Hq2mZp9LwT4v'", "export DB_PASSWORD='[REDACTED]'")]
    [InlineData("{\"access_token\": \"a1b2c3d4e5f6g7h8i9j0kLmN\"}", "{\"access_token\": \"[REDACTED]\"}")]
    [InlineData("client_secret: Q2w3E4r5T6y7U8i9O0pA", "client_secret: [REDACTED]")]
    [InlineData("git clone https://deploy:hunter2@git.example.com/shop.git", "git clone https://deploy:[REDACTED]@git.example.com/shop.git")]
    [InlineData("postgres://app:s3cr3t-Pa55@db:5432/shop", "postgres://app:[REDACTED]@db:5432/shop")]
    public void Redact_SecretAfterItsName_MasksTheValue(string text, string expected) =>
        Assert.Equal(expected, SecretRedactor.PatternsOnly.Redact(text));

    [Fact]
    public void Redact_PrivateKeyBlock_MasksTheWholeBlock()
    {
        string text = "key:\n-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA0Z3VS5JJcds3xfn\n-----END RSA PRIVATE KEY-----\nafter";

        Assert.Equal("key:\n[REDACTED]\nafter", SecretRedactor.PatternsOnly.Redact(text));
    }

    [Theory]
    [InlineData("max_tokens: 4096")]
    [InlineData("input_tokens=1234567890123")]
    [InlineData("token = GetToken(request);")]
    [InlineData("password: process.env.DB_PASSWORD")]
    [InlineData("api_key=${OPENAI_API_KEY}")]
    [InlineData("secret: <your-secret-here>")]
    [InlineData("password=hunter2")]
    [InlineData("tokenizer_path=/home/user/models/tokenizer123.json")]
    [InlineData("Merge branch 'agent/backend-api' into main at 3f2a9c1d4b5e6f708192a3b4c5d6e7f809a1b2c3")]
    [InlineData("run 20261130T105637Z-a1b2c3 task risk-assessment-for-the-whole-project-2026 done")]
    [InlineData("pip install scikit-learn; import sklearn; sk-learn is an alias")]
    [InlineData("Bearer authentication is required for every request")]
    [InlineData("id 0b5e7c1a-2f4d-4e8b-9c3a-1d2e3f4a5b6c, AKIA is the prefix of AWS access keys")]
    [InlineData("see https://github.com/org/repo/blob/main/README.md and http://localhost:8080/health")]
    [InlineData("ssh://git@github.com:22/org/repo.git")]
    [InlineData("the tokens were counted: 1200 input, 300 output; secret santa is on friday")]
    public void Redact_OrdinaryText_LeavesItAsItIs(string text) =>
        Assert.Same(text, SecretRedactor.PatternsOnly.Redact(text));

    [Fact]
    public void Redact_ConfiguredSecret_MasksItWithoutPatterns()
    {
        var redactor = new SecretRedactor(["plain-words-secret", "plain"], patterns: false);

        Assert.Equal("a [REDACTED] and a [REDACTED]; sk-4fG7hK2mN9pQ1rS5tV8wX3yZ6aB0cD stays",
            redactor.Redact("a plain-words-secret and a plain; sk-4fG7hK2mN9pQ1rS5tV8wX3yZ6aB0cD stays"));
    }

    [Fact]
    public void From_RedactionOptions_TakesValuesVariablesAndTheSecretEnvironment()
    {
        using var named = new EnvironmentVariable("PA_TEST_SHOP_CREDENTIAL_X", "value-of-the-named-one");
        using var patterned = new EnvironmentVariable("PA_TEST_SIGNING_PASSWORD", "value-of-the-patterned-one");
        var options = new RedactionOptions { SecretValues = ["configured value"], SecretVariables = ["PA_TEST_SHOP_CREDENTIAL_X", "PA_TEST_NOT_SET_AT_ALL"] };

        string redacted = SecretRedactor.From(options).Redact("configured value / value-of-the-named-one / value-of-the-patterned-one");
        options.RedactSecretEnvironment = false;
        string withoutEnvironment = SecretRedactor.From(options).Redact("value-of-the-patterned-one");

        Assert.Equal("[REDACTED] / [REDACTED] / [REDACTED]", redacted);
        Assert.Equal("value-of-the-patterned-one", withoutEnvironment);
    }

    [Fact]
    public void From_KeyPatternsOff_LeavesKeysThatAreNotConfigured()
    {
        var redactor = SecretRedactor.From(new RedactionOptions { RedactKeyPatterns = false, RedactSecretEnvironment = false });

        Assert.True(redactor.IsEmpty);
        Assert.Equal("ghp_1a2B3c4D5e6F7g8H9i0J1k2L3m4N5o6P7q8R", redactor.Redact("ghp_1a2B3c4D5e6F7g8H9i0J1k2L3m4N5o6P7q8R"));
    }

    [Fact]
    public void FindKeys_DiffWithKeys_ListsEachOnce()
    {
        string diff = "+OPENAI_API_KEY=sk-4fG7hK2mN9pQ1rS5tV8wX3yZ6aB0cD\n+again sk-4fG7hK2mN9pQ1rS5tV8wX3yZ6aB0cD\n+max_tokens: 4096\n+AKIAIOSFODNN7EXAMPLE";

        Assert.Equal(["sk-4fG7hK2mN9pQ1rS5tV8wX3yZ6aB0cD", "AKIAIOSFODNN7EXAMPLE"], SecretRedactor.FindKeys(diff));
    }
}
