namespace SharpGears.Api;

/// <summary>An error that a script reports without a stack trace (RedisGears' <c>flat_error</c>), or that Redis answered.</summary>
/// <param name="message">The error text.</param>
public class GearsException(string message) : Exception(message);
