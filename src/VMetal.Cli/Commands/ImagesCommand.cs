using System.CommandLine;
using Spectre.Console;
using VMetal.Cli.Output;
using VMetal.Images;
using VMetal.Topology;

namespace VMetal.Cli.Commands;

/// <summary><c>vmetal images [--prune]</c>: the hypervisor's cache of downloaded base images, and its cleanup.</summary>
public sealed class ImagesCommand : CommandBase
{
    private static readonly Option<bool> Prune = new("--prune")
    {
        Description = "Delete the cached images no volume is an overlay of, and unfinished downloads (waits for the hypervisor's lock)",
    };

    public ImagesCommand(CliServices services)
        : base("images", $"List the base images `up --image-url` downloaded to the hypervisor ({BaseImages.CacheDirectory}) and what uses them", services)
    {
        Options.Add(Prune);
        Options.Add(LabSession.NoWait);
    }

    protected override async Task<int> ExecuteAsync(CommandContext context, CancellationToken cancellationToken)
    {
        await using var lab = await LabSession.OpenAsync(context, cancellationToken);
        var cache = new BaseImageCache(lab.Host, lab.Hypervisor);
        IReadOnlyList<string> removed = [];
        ImageCacheListing listing;
        if (context.Get(Prune))
        {
            await using (await lab.LockAsync(cancellationToken))
                (listing, removed) = await cache.PruneAsync(cancellationToken);
        }
        else
        {
            listing = await cache.ListAsync(refreshPools: false, cancellationToken);
        }

        if (context.Output.Format == OutputFormat.Json)
        {
            context.Output.WriteJson(new
            {
                host = lab.Host.Target.ToString(),
                directory = BaseImages.CacheDirectory,
                images = listing.Images.Select(image => new { path = image.Path, url = image.Url, bytes = image.Bytes, modified = image.Modified, usedBy = image.UsedBy }),
                partial = listing.Partial,
                removed,
            });
            return ExitCodes.Success;
        }
        foreach (var file in removed)
            context.Output.Info($"deleted {file}");
        if (listing.Images.Count == 0 && listing.Partial.Count == 0)
        {
            context.Output.Info($"no cached images on {lab.Host.Target} ({BaseImages.CacheDirectory})");
            return ExitCodes.Success;
        }
        var table = new Table().Border(TableBorder.Simple).AddColumn("image").AddColumn("source").AddColumn(new TableColumn("size").RightAligned())
            .AddColumn("downloaded").AddColumn("used by");
        foreach (var image in listing.Images)
        {
            table.AddRow(Markup.Escape(Path.GetFileName(image.Path)), Markup.Escape(image.Url ?? "(not recorded)"), Sizes.Format(image.Bytes),
                image.Modified.ToString("yyyy-MM-dd HH:mm", System.Globalization.CultureInfo.InvariantCulture),
                image.InUse ? Markup.Escape(string.Join(", ", image.UsedBy)) : "[grey]nothing[/]");
        }
        context.Output.Render(table);
        foreach (var partial in listing.Partial)
            context.Output.Warning($"unfinished download {partial} (--prune deletes it)");
        var unused = listing.Images.Count(image => !image.InUse);
        if (unused > 0)
            context.Output.Info($"{unused} image(s) used by no volume: `vmetal images --prune` deletes them");
        return ExitCodes.Success;
    }
}
