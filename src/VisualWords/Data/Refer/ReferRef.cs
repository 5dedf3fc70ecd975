namespace VisualWords.Data;

/// <summary>One referring sentence of a ref (the refer API's <c>sentences[i]</c>); <paramref name="Kind"/> is
/// the optional <c>kind</c> a generator may add (ShapesWorld: attribute, relation or extreme), null elsewhere.</summary>
public sealed record ReferSentence(long SentId, string Sent, string Raw, IReadOnlyList<string> Tokens, string? Kind = null);

/// <summary>
/// One referred object as the refer API stores it: the COCO annotation it points at, its image,
/// its split and one or more sentences that each name it.
/// </summary>
public sealed record ReferRef(long RefId, long AnnId, long ImageId, long CategoryId, string Split, IReadOnlyList<ReferSentence> Sentences);
