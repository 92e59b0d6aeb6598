using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using static Microsoft.CodeAnalysis.CSharp.SyntaxFactory;

namespace SharpGears.Runtime.Scripting;

/// <summary>
/// Finds each <c>Execute(...)</c> that is the very last thing a step's lambda does, its reply unused
/// (<c>ForEach(r =&gt; Execute("HINCRBY", ...))</c>), and makes it <c>ExecuteAtStepEnd(line, ...)</c>.
/// Nothing of the step can observe the reply any more, so the engine sends the command and waits for
/// the reply when the step returns, with the same order and the same error at the same line as a
/// blocking call: the script means the same, but the worker thread serves other executions instead of
/// waiting, and commands of many executions share round trips. Only lambdas handed straight to a
/// builder operation qualify, because only the engine calls those, and only in the tail position,
/// outside any try, loop or lock.
/// </summary>
internal static class StepTailExecutes
{
    public const string Replacement = "ExecuteAtStepEnd";

    /// <summary>The tree with those calls rewritten, or the same tree when there are none.</summary>
    public static SyntaxTree Rewrite(CSharpCompilation compilation, SyntaxTree tree)
    {
        var root = tree.GetRoot();
        if (!root.DescendantTokens().Any(t => t.IsKind(SyntaxKind.IdentifierToken) && t.ValueText == "Execute"))
        {
            return tree;
        }
        var execute = compilation.GetTypeByMetadataName("SharpGears.Api.IGears")?.GetMembers("Execute").OfType<IMethodSymbol>().FirstOrDefault();
        if (execute is null)
        {
            return tree;
        }
        var model = compilation.GetSemanticModel(tree);
        var calls = new List<InvocationExpressionSyntax>();
        foreach (var lambda in root.DescendantNodes().OfType<LambdaExpressionSyntax>())
        {
            if (TailCall(lambda) is { } call
                && lambda.AsyncKeyword.IsKind(SyntaxKind.None)
                && lambda.Parent is ArgumentSyntax { Parent: ArgumentListSyntax { Parent: InvocationExpressionSyntax operation } }
                && model.GetSymbolInfo(operation).Symbol is IMethodSymbol { ContainingType: var type }
                && type.ContainingNamespace.ToDisplayString() == "SharpGears.Api"
                && type.Name.EndsWith("Operation", StringComparison.Ordinal)
                && model.GetTypeInfo(lambda).ConvertedType is INamedTypeSymbol { DelegateInvokeMethod.ReturnsVoid: true }
                && SymbolEqualityComparer.Default.Equals(model.GetSymbolInfo(call).Symbol, execute))
            {
                calls.Add(call);
            }
        }
        if (calls.Count == 0)
        {
            return tree;
        }
        var rewritten = root.ReplaceNodes(calls, (original, _) =>
        {
            var line = original.GetLocation().GetLineSpan().StartLinePosition.Line + 1;
            return original
                .WithExpression(IdentifierName(Replacement).WithTriviaFrom(original.Expression))
                .WithArgumentList(original.ArgumentList.WithArguments(
                    original.ArgumentList.Arguments.Insert(0, Argument(LiteralExpression(SyntaxKind.NumericLiteralExpression, Literal(line))))));
        });
        return tree.WithRootAndOptions(rewritten, tree.Options);
    }

    // `r => Execute(...)`, or a block whose last statement is `Execute(...);`, with plain arguments.
    private static InvocationExpressionSyntax? TailCall(LambdaExpressionSyntax lambda)
    {
        var call = lambda.Body switch
        {
            InvocationExpressionSyntax expression => expression,
            BlockSyntax { Statements: [.., ExpressionStatementSyntax { Expression: InvocationExpressionSyntax statement }] } => statement,
            _ => null,
        };
        return call is { Expression: IdentifierNameSyntax { Identifier.ValueText: "Execute" } }
            && call.ArgumentList.Arguments.All(a => a.NameColon is null && a.RefKindKeyword.IsKind(SyntaxKind.None))
            ? call
            : null;
    }
}
