using ComputeGrid.Ops;

return await OpsCli.RunAsync(args, OpsCli.CreateConsole(Console.Out, Console.IsOutputRedirected), handler: null, CancellationToken.None);
