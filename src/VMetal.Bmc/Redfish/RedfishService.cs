using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Metadata;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.Routing.Template;
using Microsoft.Extensions.Logging;
using VMetal.Bmc.Machines;
using static VMetal.Bmc.Redfish.RedfishDocuments;
using EntityTag = Microsoft.Net.Http.Headers.EntityTagHeaderValue;

namespace VMetal.Bmc.Redfish;

/// <summary>
/// The Redfish routes: service root, sessions, systems (power, boot, reset, NICs, virtual media), managers
/// and chassis. Every route but the service root and login needs Basic credentials or an X-Auth-Token,
/// and shows only the machines of the workspace those belong to.
/// </summary>
internal sealed partial class RedfishService(
    IMachineBackend backend, RedfishSessionStore sessions, RedfishServerOptions options, ILogger logger)
{
    private const string TenantItem = "vmetal.tenant";
    private const string ListenerItem = "vmetal.listener";

    private volatile IReadOnlyList<RedfishListener> _listeners = [];

    public IReadOnlyList<RedfishListener> Listeners
    {
        get => _listeners;
        set => _listeners = value;
    }

    public void Map(WebApplication app)
    {
        app.Use(AuthenticateAsync);
        MapRead(app, "/redfish", () => Json(new JsonObject { ["v1"] = Root + "/" }));
        MapRead(app, Root, () => Json(ServiceRoot(options.ServiceId)));

        MapRead(app, SessionServicePath, () => Json(SessionService(sessions.Timeout)));
        MapRead(app, Sessions, (HttpContext context) => Json(Collection(
            "Session", Sessions, "Session Collection", sessions.Of(Tenant(context).Workspace).Select(s => $"{Sessions}/{s.Id}"))));
        app.MapPost(Sessions, (Func<HttpContext, Task<IResult>>)LogInAsync);
        MapRead(app, Sessions + "/{id}", (HttpContext context, string id) =>
            sessions.Of(Tenant(context).Workspace).FirstOrDefault(s => s.Id == id) is { } session ? Json(Session(session)) : NotFound(context));
        app.MapDelete(Sessions + "/{id}", (HttpContext context, string id) =>
            sessions.Delete(Tenant(context).Workspace, id) ? Results.NoContent() : NotFound(context));

        MapRead(app, Systems, (HttpContext context) => Json(Collection("ComputerSystem", Systems, "Computer System Collection", MachinesOf(context).Select(SystemPath))));
        MapRead(app, Systems + "/{id}", (HttpContext context, string id) => WithMachine(context, id, machine => SystemWithETag(context, machine)));
        app.MapPatch(Systems + "/{id}", PatchSystemAsync);
        app.MapPost(Systems + "/{id}/Actions/ComputerSystem.Reset", ResetAsync);
        MapRead(app, Systems + "/{id}/EthernetInterfaces", (HttpContext context, string id) => WithMachine(context, id, machine => Json(Collection(
            "EthernetInterface", $"{SystemPath(machine)}/EthernetInterfaces", "Ethernet Interface Collection",
            machine.MacAddresses.Select(mac => $"{SystemPath(machine)}/EthernetInterfaces/{mac}")))));
        MapRead(app, Systems + "/{id}/EthernetInterfaces/{mac}", (HttpContext context, string id, string mac) => WithMachine(context, id, machine =>
        {
            var index = machine.MacAddresses.ToList().FindIndex(m => string.Equals(m, mac, StringComparison.OrdinalIgnoreCase));
            return index < 0 ? NotFound(context) : Json(EthernetInterface(machine, index));
        }));

        MapRead(app, Systems + "/{id}/Processors", (HttpContext context, string id) => WithMachine(context, id, machine => Json(Collection(
            "Processor", $"{SystemPath(machine)}/Processors", "Processor Collection", [$"{SystemPath(machine)}/Processors/{ProcessorId}"]))));
        MapRead(app, Systems + "/{id}/Processors/" + ProcessorId, (HttpContext context, string id) => WithMachine(context, id, machine => Json(Processor(machine))));
        MapRead(app, Systems + "/{id}/SimpleStorage", (HttpContext context, string id) => WithMachine(context, id, machine => Json(Collection(
            "SimpleStorage", $"{SystemPath(machine)}/SimpleStorage", "Simple Storage Collection", [$"{SystemPath(machine)}/SimpleStorage/{StorageId}"]))));
        MapRead(app, Systems + "/{id}/SimpleStorage/" + StorageId, (HttpContext context, string id) => WithMachine(context, id, machine => Json(SimpleStorage(machine))));
        MapRead(app, Systems + "/{id}/Storage", (HttpContext context, string id) => WithMachine(context, id, machine => Json(Collection(
            "Storage", $"{SystemPath(machine)}/Storage", "Storage Collection", [$"{SystemPath(machine)}/Storage/{StorageId}"]))));
        MapRead(app, Systems + "/{id}/Storage/" + StorageId, (HttpContext context, string id) => WithMachine(context, id, machine => Json(Storage(machine))));
        MapRead(app, Systems + "/{id}/Storage/" + StorageId + "/Drives/{drive}", (HttpContext context, string id, string drive) => WithMachine(context, id, machine =>
            machine.Disks.FirstOrDefault(d => d.Name == drive) is { } disk ? Json(Drive(machine, disk)) : NotFound(context)));
        MapRead(app, Systems + "/{id}/Bios", (HttpContext context, string id) => WithMachine(context, id, machine => Json(Bios(machine))));
        MapRead(app, Systems + "/{id}/SecureBoot", (HttpContext context, string id) => WithMachine(context, id, machine => Json(SecureBoot(machine))));

        MapRead(app, Managers, (HttpContext context) => Json(Collection("Manager", Managers, "Manager Collection", MachinesOf(context).Select(m => $"{Managers}/{m.Id}"))));
        MapRead(app, Managers + "/{id}", (HttpContext context, string id) => WithMachine(context, id, machine => Json(Manager(machine))));
        MapRead(app, Chassis, (HttpContext context) => Json(Collection("Chassis", Chassis, "Chassis Collection", MachinesOf(context).Select(m => $"{Chassis}/{m.Id}"))));
        MapRead(app, Chassis + "/{id}", (HttpContext context, string id) => WithMachine(context, id, machine => Json(ChassisOf(machine))));

        // Virtual media lives under the system since Redfish 1.8 and under the manager before; clients use both.
        foreach (var owner in new[] { Systems, Managers })
        {
            MapRead(app, owner + "/{id}/VirtualMedia", (HttpContext context, string id) => WithMachine(context, id, machine =>
                Json(Collection("VirtualMedia", $"{owner}/{machine.Id}/VirtualMedia", "Virtual Media Collection", [$"{owner}/{machine.Id}/VirtualMedia/{VirtualCdId}"]))));
            MapRead(app, owner + "/{id}/VirtualMedia/" + VirtualCdId, (HttpContext context, string id) => WithMachine(context, id, machine =>
                Json(VirtualCd(machine, $"{owner}/{machine.Id}/VirtualMedia"))));
            app.MapPost(owner + "/{id}/VirtualMedia/" + VirtualCdId + "/Actions/VirtualMedia.InsertMedia", InsertMediaAsync);
            app.MapPost(owner + "/{id}/VirtualMedia/" + VirtualCdId + "/Actions/VirtualMedia.EjectMedia", (HttpContext context, string id) =>
                WithMachineAsync(context, id, machine => RunAsync(context, ct => backend.EjectMediaAsync(machine.Id, ct), options.MediaTimeout)));
        }

        app.MapFallback(NotFoundOrWrongMethod);
    }

    /// <summary>A GET route that answers HEAD too (Kestrel sends no body for HEAD).</summary>
    private static void MapRead(WebApplication app, string pattern, Delegate handler) =>
        app.MapMethods(pattern, [HttpMethods.Get, HttpMethods.Head], handler);

    /// <summary>405 with Allow for a resource that exists but not for this method; otherwise 404.</summary>
    private static IResult NotFoundOrWrongMethod(HttpContext context, EndpointDataSource endpoints)
    {
        var allowed = endpoints.Endpoints.OfType<RouteEndpoint>()
            .Select(endpoint => (endpoint, methods: endpoint.Metadata.GetMetadata<IHttpMethodMetadata>()?.HttpMethods))
            .Where(route => route.methods is not null && route.endpoint.RoutePattern.RawText is { } pattern
                && new TemplateMatcher(TemplateParser.Parse(pattern), []).TryMatch(context.Request.Path, []))
            .SelectMany(route => route.methods!)
            .Distinct(StringComparer.Ordinal)
            .ToList();
        if (allowed.Count == 0)
        {
            return NotFound(context);
        }

        context.Response.Headers.Allow = string.Join(", ", allowed);
        return Problem(StatusCodes.Status405MethodNotAllowed, "OperationNotAllowed", $"{context.Request.Method} is not allowed on {context.Request.Path}");
    }

    /// <summary>Resolves the listener, and for protected routes the tenant, before any route runs.</summary>
    private async Task AuthenticateAsync(HttpContext context, RequestDelegate next)
    {
        context.Response.Headers["OData-Version"] = "4.0";
        if (context.Request.ContentLength > options.MaximumRequestBodyBytes)
        {
            // Refused before anything reads it: the connection must not be reused with the body still in it.
            context.Response.Headers.Connection = "close";
            await Problem(StatusCodes.Status413PayloadTooLarge, "GeneralError", $"the body may be at most {options.MaximumRequestBodyBytes} bytes")
                .ExecuteAsync(context).ConfigureAwait(false);
            return;
        }

        var listener = _listeners.FirstOrDefault(l => l.Serves(context.Connection.LocalIpAddress, context.Connection.LocalPort));
        if (listener is null)
        {
            await NotFound(context).ExecuteAsync(context).ConfigureAwait(false);
            return;
        }

        context.Items[ListenerItem] = listener;
        if (!IsPublic(context.Request))
        {
            var tenant = AuthenticatedTenant(context.Request, listener);
            if (tenant is null)
            {
                context.Response.Headers.WWWAuthenticate = "Basic realm=\"vmetal\"";
                await Problem(StatusCodes.Status401Unauthorized, "NoValidSession", "valid credentials or an X-Auth-Token are required")
                    .ExecuteAsync(context).ConfigureAwait(false);
                return;
            }

            context.Items[TenantItem] = tenant;
        }

        await next(context).ConfigureAwait(false);
    }

    private static bool IsPublic(HttpRequest request)
    {
        var path = request.Path.Value?.TrimEnd('/') ?? string.Empty;
        return ((HttpMethods.IsGet(request.Method) || HttpMethods.IsHead(request.Method)) && path is "/redfish" or Root)
            || (HttpMethods.IsPost(request.Method) && path == Sessions);
    }

    private RedfishTenant? AuthenticatedTenant(HttpRequest request, RedfishListener listener)
    {
        if (request.Headers["X-Auth-Token"].ToString() is { Length: > 0 } token)
        {
            return sessions.Use(token)?.ResolveOn(listener);
        }

        if (!AuthenticationHeaderValue.TryParse(request.Headers.Authorization.ToString(), out var header)
            || !string.Equals(header.Scheme, "Basic", StringComparison.OrdinalIgnoreCase) || header.Parameter is null)
        {
            return null;
        }

        var decoded = new byte[header.Parameter.Length];
        if (!Convert.TryFromBase64String(header.Parameter, decoded, out var length))
        {
            return null;
        }

        var colon = Array.IndexOf(decoded, (byte)':', 0, length);
        return colon < 0 ? null : FindTenant(listener, decoded.AsSpan(0, colon), decoded.AsSpan(colon + 1, length - colon - 1));
    }

    private static RedfishTenant? FindTenant(RedfishListener listener, ReadOnlySpan<byte> userName, ReadOnlySpan<byte> password)
    {
        RedfishTenant? match = null;
        foreach (var tenant in listener.Tenants)
        {
            // Every tenant is compared, so the time taken does not depend on which one matched.
            if (tenant.Accepts(userName, password))
            {
                match ??= tenant;
            }
        }

        return match;
    }

    private async Task<IResult> LogInAsync(HttpContext context)
    {
        var body = await ReadObjectAsync(context.Request).ConfigureAwait(false);
        if (body?["UserName"] is not JsonValue user || !user.TryGetValue<string>(out var userName)
            || body["Password"] is not JsonValue secret || !secret.TryGetValue<string>(out var password))
        {
            return Problem(StatusCodes.Status400BadRequest, "PropertyMissing", "UserName and Password are required");
        }

        var tenant = FindTenant((RedfishListener)context.Items[ListenerItem]!, Encoding.UTF8.GetBytes(userName), Encoding.UTF8.GetBytes(password));
        if (tenant is null)
        {
            LogLoginRefused(context.Connection.RemoteIpAddress);
            return Problem(StatusCodes.Status401Unauthorized, "NoValidSession", "wrong user name or password");
        }

        var session = sessions.Create(tenant);
        var location = $"{Sessions}/{session.Id}";
        context.Response.Headers["X-Auth-Token"] = session.Token;
        context.Response.Headers.Location = location;
        return Json(Session(session), StatusCodes.Status201Created);
    }

    private async Task<IResult> PatchSystemAsync(HttpContext context, string id)
    {
        var body = await ReadObjectAsync(context.Request).ConfigureAwait(false);
        if (body is null)
        {
            return Problem(StatusCodes.Status400BadRequest, "MalformedJSON", "the body is not a JSON object");
        }

        var unknown = body.Select(p => p.Key).FirstOrDefault(key => key != "Boot" && !key.StartsWith('@'));
        if (unknown is not null)
        {
            return Problem(StatusCodes.Status400BadRequest, "PropertyNotWritable", $"{unknown} cannot be changed; only Boot can");
        }

        if (body["Boot"] is not JsonObject boot)
        {
            return Problem(StatusCodes.Status400BadRequest, "PropertyMissing", "Boot is required");
        }

        var change = ParseBoot(boot, out var problem);
        return change is null ? problem! : await WithMachineAsync(context, id, machine => IfMatches(context.Request, machine)
            ? RunAsync(context, ct => backend.SetBootAsync(machine.Id, change, ct))
            : Task.FromResult(Problem(StatusCodes.Status412PreconditionFailed, "PreconditionFailed",
                "If-Match does not match the system's current ETag; read the system again"))).ConfigureAwait(false);
    }

    /// <summary>The system with its ETag: a hash of exactly the document sent, so it changes whenever anything in it does.</summary>
    private static IResult SystemWithETag(HttpContext context, Machine machine)
    {
        var json = ComputerSystem(machine).ToJsonString();
        context.Response.Headers.ETag = ETagOf(json);
        return Json(json);
    }

    private static string ETagOf(string json) => $"\"{Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(json)).AsSpan(0, 8))}\"";

    /// <summary>
    /// Whether the request's If-Match (if any) holds for the system as it is now: <c>*</c>, or one of the listed entity tags
    /// equal to its ETag. Weak tags (<c>W/"…"</c>) are compared by their value as well: Redfish clients such as sushy send
    /// back whatever form a BMC gave them. An If-Match that does not parse matches nothing.
    /// </summary>
    private static bool IfMatches(HttpRequest request, Machine machine)
    {
        if (request.Headers.IfMatch.Count == 0)
        {
            return true;
        }

        var current = EntityTag.Parse(ETagOf(ComputerSystem(machine).ToJsonString()));
        return EntityTag.TryParseList(request.Headers.IfMatch, out var tags)
            && tags.Any(tag => tag.Equals(EntityTag.Any) || tag.Compare(current, useStrongComparison: false));
    }

    private static BootChange? ParseBoot(JsonObject boot, out IResult? problem)
    {
        problem = null;
        var unknown = boot.Select(p => p.Key).FirstOrDefault(key => key is not ("BootSourceOverrideTarget" or "BootSourceOverrideEnabled" or "BootSourceOverrideMode"));
        if (unknown is not null)
        {
            problem = Problem(StatusCodes.Status400BadRequest, "PropertyNotWritable", $"Boot/{unknown} cannot be changed");
            return null;
        }

        if (!TryParseEnum(boot, "BootSourceOverrideTarget", BootTargets, out var target, ref problem)
            || !TryParseEnum(boot, "BootSourceOverrideEnabled", BootOverrides, out var enabled, ref problem)
            || !TryParseEnum(boot, "BootSourceOverrideMode", BootModes, out var mode, ref problem))
        {
            return null;
        }

        return new BootChange(target, enabled, mode);
    }

    private static bool TryParseEnum<T>(JsonObject boot, string property, IReadOnlyDictionary<string, T> names, out T? value, ref IResult? problem)
        where T : struct
    {
        value = null;
        if (!boot.TryGetPropertyValue(property, out var node) || node is null)
        {
            return true;
        }

        if (node is JsonValue text && text.TryGetValue<string>(out var name) && names.TryGetValue(name, out var parsed))
        {
            value = parsed;
            return true;
        }

        problem = Problem(StatusCodes.Status400BadRequest, "PropertyValueNotInList",
            $"Boot/{property} must be one of {string.Join(", ", names.Keys)}");
        return false;
    }

    private async Task<IResult> ResetAsync(HttpContext context, string id)
    {
        var body = await ReadObjectAsync(context.Request).ConfigureAwait(false);
        var resetType = body?["ResetType"] is JsonValue value && value.TryGetValue<string>(out var text) ? text : null;
        if (resetType is null || !ResetTypes.Contains(resetType))
        {
            return Problem(StatusCodes.Status400BadRequest, "ActionParameterNotSupported", $"ResetType must be one of {string.Join(", ", ResetTypes)}");
        }

        return await WithMachineAsync(context, id, machine =>
        {
            var action = resetType == "PushPowerButton"
                ? machine.Power == PowerState.On ? PowerAction.GracefulShutdown : PowerAction.On
                : Enum.Parse<PowerAction>(resetType);
            return RunAsync(context, ct => backend.PowerAsync(machine.Id, action, ct));
        }).ConfigureAwait(false);
    }

    private async Task<IResult> InsertMediaAsync(HttpContext context, string id)
    {
        var body = await ReadObjectAsync(context.Request).ConfigureAwait(false);
        var image = body?["Image"] is JsonValue value && value.TryGetValue<string>(out var text) ? text : null;
        if (!Uri.TryCreate(image, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps))
        {
            return Problem(StatusCodes.Status400BadRequest, "ActionParameterValueFormatError", "Image must be an http or https URL");
        }

        if (body!["Inserted"] is JsonValue inserted && inserted.TryGetValue<bool>(out var insert) && !insert)
        {
            return Problem(StatusCodes.Status400BadRequest, "ActionParameterValueNotInList", "Inserted=false is not supported; use EjectMedia");
        }

        return await WithMachineAsync(context, id, machine => RunAsync(context, ct => backend.InsertMediaAsync(machine.Id, uri, ct), options.MediaTimeout)).ConfigureAwait(false);
    }

    /// <summary>Runs a backend action within the time limit; 204 on success, the matching HTTP status on failure.</summary>
    private async Task<IResult> RunAsync(HttpContext context, Func<CancellationToken, Task> action, TimeSpan? timeout = null)
    {
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted);
        limit.CancelAfter(timeout ?? options.ActionTimeout);
        try
        {
            await action(limit.Token).ConfigureAwait(false);
            return Results.NoContent();
        }
        catch (MachineOperationException error)
        {
            LogActionFailed(context.Request.Path, error.Message);
            return error.Kind switch
            {
                MachineErrorKind.NotFound => NotFound(context),
                MachineErrorKind.InvalidState => Problem(StatusCodes.Status409Conflict, "ActionNotSupported", error.Message),
                MachineErrorKind.Unsupported => Problem(StatusCodes.Status400BadRequest, "ActionNotSupported", error.Message),
                _ => Problem(StatusCodes.Status503ServiceUnavailable, "ServiceTemporarilyUnavailable", error.Message),
            };
        }
        catch (OperationCanceledException) when (!context.RequestAborted.IsCancellationRequested)
        {
            LogActionFailed(context.Request.Path, $"not done within {(timeout ?? options.ActionTimeout).TotalSeconds:0} s");
            return Problem(StatusCodes.Status503ServiceUnavailable, "ServiceTemporarilyUnavailable", "the hypervisor did not answer in time");
        }
    }

    private IResult WithMachine(HttpContext context, string id, Func<Machine, IResult> found) =>
        FindMachine(context, id) is { } machine ? found(machine) : NotFound(context);

    private async Task<IResult> WithMachineAsync(HttpContext context, string id, Func<Machine, Task<IResult>> found) =>
        FindMachine(context, id) is { } machine ? await found(machine).ConfigureAwait(false) : NotFound(context);

    /// <summary>A machine of the caller's workspace, by UUID or by name.</summary>
    private Machine? FindMachine(HttpContext context, string id)
    {
        var tenant = Tenant(context);
        if (Guid.TryParse(id, out var uuid))
        {
            return tenant.MachineIds.Contains(uuid) ? backend.Find(uuid) : null;
        }

        return MachinesOf(context).FirstOrDefault(machine => machine.Name == id);
    }

    private IEnumerable<Machine> MachinesOf(HttpContext context) =>
        Tenant(context).MachineIds.Select(backend.Find).OfType<Machine>().OrderBy(machine => machine.Name, StringComparer.Ordinal);

    private static RedfishTenant Tenant(HttpContext context) => (RedfishTenant)context.Items[TenantItem]!;

    /// <summary>The body as a JSON object, or null when it is missing, malformed or not an object.</summary>
    private static async Task<JsonObject?> ReadObjectAsync(HttpRequest request)
    {
        try
        {
            return await JsonNode.ParseAsync(request.Body, cancellationToken: request.HttpContext.RequestAborted).ConfigureAwait(false) as JsonObject;
        }
        catch (Exception error) when (error is JsonException or BadHttpRequestException)
        {
            return null;
        }
    }

    private static IResult Json(JsonNode document, int status = StatusCodes.Status200OK) => Json(document.ToJsonString(), status);

    private static IResult Json(string json, int status = StatusCodes.Status200OK) =>
        Results.Content(json, "application/json; charset=utf-8", Encoding.UTF8, status);

    private static IResult Problem(int status, string messageId, string message) => Json(Error(messageId, message), status);

    private static IResult NotFound(HttpContext context) =>
        Problem(StatusCodes.Status404NotFound, "ResourceMissingAtURI", $"{context.Request.Path} does not exist");

    [LoggerMessage(Level = LogLevel.Information, Message = "Redfish login refused for {Remote}")]
    private partial void LogLoginRefused(System.Net.IPAddress? remote);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Redfish {Path} failed: {Reason}")]
    private partial void LogActionFailed(PathString path, string reason);
}
