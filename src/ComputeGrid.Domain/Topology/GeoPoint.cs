namespace ComputeGrid.Domain.Topology;

/// <summary>A point on Earth in decimal degrees (WGS 84).</summary>
/// <param name="Lat">Latitude in degrees, -90..90.</param>
/// <param name="Lon">Longitude in degrees, -180..180.</param>
public readonly record struct GeoPoint(double Lat, double Lon)
{
    private const double EarthRadiusKm = 6371.0088;

    /// <summary>Great-circle distance to <paramref name="other"/> in km (haversine).</summary>
    public double DistanceKmTo(GeoPoint other)
    {
        static double Rad(double deg) => deg * Math.PI / 180.0;
        var dLat = Rad(other.Lat - Lat);
        var dLon = Rad(other.Lon - Lon);
        var a = (Math.Sin(dLat / 2) * Math.Sin(dLat / 2))
            + (Math.Cos(Rad(Lat)) * Math.Cos(Rad(other.Lat)) * Math.Sin(dLon / 2) * Math.Sin(dLon / 2));
        return 2 * EarthRadiusKm * Math.Asin(Math.Min(1, Math.Sqrt(a)));
    }
}
