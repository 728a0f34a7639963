// The ops tests' two collections each host a silo in this process (SiloHostFixture and AgentClusterFixture). Their
// OpenTelemetry meter providers listen to every meter named ComputeGrid in the process, and when one host is disposed
// its instruments go with it from the other's scrape (the metrics tests then saw only target_info). One collection at
// a time keeps one silo per process.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
