namespace SharpGears.Api;

/// <summary>
/// The functions the engine offers to plugins; scripts see the same functions as globals.
/// The members arrive with the script engine.
/// </summary>
public interface IGears
{
}
