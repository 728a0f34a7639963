using System.Security.Cryptography;
using Microsoft.AspNetCore.Http;
using Microsoft.Net.Http.Headers;

namespace ComputeGrid.Gateway.Ops;

/// <summary>
/// One file of the <c>/ops</c> page, embedded in the gateway assembly (Ops/Page/), so every host that maps the gateway
/// serves it without a web root. Each answer carries an ETag (revalidated on every load, so a new build is picked up at
/// once) and headers that keep the page to its own origin.
/// </summary>
internal sealed class OpsAssets
{
    // The page runs only its own script and style and talks only to its own origin; nothing may frame it.
    private const string ContentSecurityPolicy =
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

    private readonly byte[] _content;
    private readonly string _contentType;
    private readonly EntityTagHeaderValue _etag;

    private OpsAssets(string resource, string contentType)
    {
        using var stream = typeof(OpsAssets).Assembly.GetManifestResourceStream(resource)
            ?? throw new InvalidOperationException($"The gateway assembly lacks the embedded resource {resource}.");
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        _content = copy.ToArray();
        _contentType = contentType;
        _etag = new EntityTagHeaderValue($"\"{Convert.ToHexStringLower(SHA256.HashData(_content))[..16]}\"");
    }

    /// <summary>The page, <c>/ops</c>.</summary>
    public static OpsAssets Page { get; } = new("ops/index.html", "text/html; charset=utf-8");

    /// <summary>Its script, <c>/ops/ops.js</c>.</summary>
    public static OpsAssets Script { get; } = new("ops/ops.js", "text/javascript; charset=utf-8");

    /// <summary>Its style sheet, <c>/ops/ops.css</c>.</summary>
    public static OpsAssets Styles { get; } = new("ops/ops.css", "text/css; charset=utf-8");

    /// <summary>The third-party code and the map, <c>/ops/vendor.js</c> (built by tools/ops-page).</summary>
    public static OpsAssets VendorScript { get; } = new("ops/vendor.js", "text/javascript; charset=utf-8");

    /// <summary>The charts' style sheet, <c>/ops/vendor.css</c> (built by tools/ops-page).</summary>
    public static OpsAssets VendorStyles { get; } = new("ops/vendor.css", "text/css; charset=utf-8");

    /// <summary>The file, or 304 when the browser's copy is current.</summary>
    public IResult Serve(HttpContext context)
    {
        var headers = context.Response.Headers;
        headers.CacheControl = "no-cache";
        headers.XContentTypeOptions = "nosniff";
        headers["Referrer-Policy"] = "no-referrer";
        headers.ContentSecurityPolicy = ContentSecurityPolicy;
        headers.XFrameOptions = "DENY";
        return Results.Bytes(_content, _contentType, entityTag: _etag);
    }
}
