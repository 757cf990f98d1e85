using VMetal.Cli;

using var interrupt = new CancellationTokenSource();
return await VMetalCli.RunAsync(args, CliServices.ForProcess(interrupt), cancellationToken: interrupt.Token);
