using System.Runtime.Versioning;

// The agent runs jobs through setsid and setpriv, signals process groups and reads /proc: it is Linux-only.
[assembly: SupportedOSPlatform("linux")]
