using ComputeGrid.Ops;
using Spectre.Console;

return await OpsCli.RunAsync(args, AnsiConsole.Console, handler: null, CancellationToken.None);
