using VMetal.Testing;

// One sandbox for the whole integration assembly; tests that need it take SandboxFixture.
[assembly: AssemblyFixture(typeof(SandboxFixture))]
