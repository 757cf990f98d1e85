using System.Text.Json;
using System.Text.Json.Nodes;

namespace VMetal.Testing.Bmc;

/// <summary>
/// Ironic's own Redfish library, python3-sushy, driven by a small script: each step's result comes back as
/// JSON. Debian's sushy belongs to /usr/bin/python3, not to the first python3 on PATH.
/// </summary>
public sealed record SushyClient(Uri ServiceRoot, string UserName, string Password)
{
    private const string Python = "/usr/bin/python3";

    // Steps: systems | system | etag | inventory | set_boot | stale_set_boot | reset | insert_media | media | eject_media. The first
    // error ends the run and is reported as {"error": {"type", "status"}}.
    private const string Script = """
        import json, logging, sys, warnings
        warnings.filterwarnings("ignore")
        import sushy
        spec = json.load(sys.stdin)
        results = []
        class Seen(logging.Handler):
            def __init__(self):
                super().__init__()
                self.messages = []
            def emit(self, record):
                self.messages.append(record.getMessage())
        seen = Seen()
        logging.getLogger("sushy").addHandler(seen)
        logging.getLogger("sushy").setLevel(logging.DEBUG)
        def describe(system):
            return {
                "identity": system.identity, "uuid": system.uuid, "name": system.name,
                "power_state": system.power_state.value if system.power_state else None,
                "boot": {"target": system.boot.target.value if system.boot.target else None,
                         "enabled": system.boot.enabled.value if system.boot.enabled else None,
                         "mode": system.boot.mode.value if system.boot.mode else None},
                "macs": sorted(system.ethernet_interfaces.summary.keys()),
                "allowed_resets": sorted(v.value for v in system.get_allowed_reset_system_values()),
            }
        def cd_of(system):
            return system.managers[0].virtual_media.get_member(system.managers[0].virtual_media.members_identities[0])
        try:
            root = sushy.Sushy(spec["url"], username=spec["user"], password=spec["password"], verify=False)
            for step in spec["steps"]:
                op = step["op"]
                if op == "systems":
                    results.append(sorted(root.get_system_collection().members_identities))
                    continue
                system = root.get_system(step["id"])
                if op == "system":
                    results.append(describe(system))
                elif op == "set_boot":
                    system.set_system_boot_options(
                        target=sushy.BootSource(step["target"]) if step.get("target") else None,
                        enabled=sushy.BootSourceOverrideEnabled(step["enabled"]) if step.get("enabled") else None,
                        mode=sushy.BootSourceOverrideMode(step["mode"]) if step.get("mode") else None)
                    results.append("ok")
                elif op == "etag":
                    results.append(system._get_etag())
                elif op == "stale_set_boot":
                    # The race Ironic can meet: the system changes (here: is powered on) between sushy reading its ETag
                    # and sushy's PATCH, which then carries the outdated ETag in If-Match. The log shows what went over the wire.
                    stale = system._get_etag()
                    root.get_system(step["id"]).reset_system(sushy.ResetType.ON)
                    system._get_etag = lambda: stale
                    del seen.messages[:]
                    system.set_system_boot_options(target=sushy.BootSource(step["target"]), enabled=sushy.BootSourceOverrideEnabled(step["enabled"]))
                    results.append({"etag": stale, "log": [m for m in seen.messages if "PATCH" in m or "eTag" in m]})
                elif op == "reset":
                    system.reset_system(sushy.ResetType(step["type"]))
                    results.append("ok")
                elif op == "insert_media":
                    cd_of(system).insert_media(step["image"], inserted=True, write_protected=True)
                    results.append("ok")
                elif op == "inventory":
                    # What Ironic's redfish inspection reads.
                    processors = system.processors.summary
                    secure_boot = system.secure_boot
                    results.append({
                        "cpus": processors.count,
                        "architecture": processors.architecture.value if processors.architecture else None,
                        "memory_gib": system.memory_summary.size_gib,
                        "disks": list(system.simple_storage.disks_sizes_bytes),
                        "max_disk": system.simple_storage.max_size_bytes,
                        "drives": list(system.storage.drives_sizes_bytes),
                        "bios": system.bios.attributes,
                        "secure_boot": {"enabled": secure_boot.enabled,
                                        "current": secure_boot.current_boot.value if secure_boot.current_boot else None},
                    })
                elif op == "media":
                    cd = cd_of(system)
                    results.append({"inserted": cd.inserted, "image": cd.image})
                elif op == "eject_media":
                    cd_of(system).eject_media()
                    results.append("ok")
        except sushy.exceptions.HTTPError as error:
            results.append({"error": {"type": type(error).__name__, "status": error.status_code}})
        except Exception as error:
            results.append({"error": {"type": type(error).__name__, "message": str(error)}})
        print(json.dumps(results))
        """;

    public static bool IsInstalled => File.Exists(Python) && Directory.Exists("/usr/lib/python3/dist-packages/sushy");

    /// <summary>Runs the steps in order (each a JSON object with "op" and its arguments) and returns one result per step run.</summary>
    public async Task<JsonArray> RunAsync(params object[] steps)
    {
        var input = JsonSerializer.Serialize(new { url = ServiceRoot.ToString(), user = UserName, password = Password, steps });
        // requests lets REQUESTS_CA_BUNDLE / CURL_CA_BUNDLE override verify=False; Ironic's conductor does not set them.
        var result = await ProcessRunner.RunAsync(Python, ["-c", Script], input,
            environment: new Dictionary<string, string?> { ["REQUESTS_CA_BUNDLE"] = null, ["CURL_CA_BUNDLE"] = null });
        if (result.ExitCode != 0)
        {
            throw new InvalidOperationException($"the sushy script failed: {result}");
        }

        return JsonNode.Parse(result.Stdout)?.AsArray() ?? throw new InvalidOperationException($"no JSON from the sushy script: {result}");
    }
}
