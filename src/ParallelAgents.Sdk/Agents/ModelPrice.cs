namespace ParallelAgents.Sdk;

/// <summary>What a model's tokens cost, per million, in the currency of your choice (the same for every model).</summary>
/// <param name="InputPerMillion">The price of one million input (prompt) tokens.</param>
/// <param name="OutputPerMillion">The price of one million output (completion) tokens.</param>
public sealed record ModelPrice(decimal InputPerMillion, decimal OutputPerMillion)
{
    /// <summary>What <paramref name="inputTokens"/> and <paramref name="outputTokens"/> cost at this price.</summary>
    /// <param name="inputTokens">Input tokens.</param>
    /// <param name="outputTokens">Output tokens.</param>
    /// <returns>The cost.</returns>
    public decimal CostOf(long inputTokens, long outputTokens) =>
        ((inputTokens * InputPerMillion) + (outputTokens * OutputPerMillion)) / 1_000_000m;
}
