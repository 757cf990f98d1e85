using VMetal.Cli;

return await VMetalCli.RunAsync(args, CliServices.ForProcess());
