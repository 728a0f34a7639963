using ComputeGrid.Domain;

namespace ComputeGrid.Client;

/// <summary>Base of every error the ComputeGrid SDK raises on purpose.</summary>
public class ComputeGridException : Exception
{
    /// <summary>Creates the exception.</summary>
    public ComputeGridException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception.</summary>
    public ComputeGridException()
    {
    }

    /// <summary>Creates the exception.</summary>
    public ComputeGridException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}

/// <summary>An argument is invalid; nothing was changed. <see cref="Field"/> and <see cref="Reason"/> give the first problem.</summary>
public class ComputeGridValidationException : ComputeGridException
{
    /// <summary>Creates the exception from one or more errors.</summary>
    public ComputeGridValidationException(IReadOnlyList<ValidationError> errors)
        : base(Describe(errors))
    {
        Errors = errors.Count > 0 ? errors : [new ValidationError("(request)", "invalid")];
    }

    /// <summary>Creates the exception.</summary>
    public ComputeGridValidationException()
        : this([])
    {
    }

    /// <summary>Creates the exception.</summary>
    public ComputeGridValidationException(string message)
        : this([new ValidationError("(request)", message)])
    {
    }

    /// <summary>Creates the exception.</summary>
    public ComputeGridValidationException(string message, Exception innerException)
        : base(message, innerException)
    {
        Errors = [new ValidationError("(request)", message)];
    }

    /// <summary>Every problem found.</summary>
    public IReadOnlyList<ValidationError> Errors { get; }

    /// <summary>The first offending field, for example <c>resources.cpuMillicores</c>.</summary>
    public string Field => Errors[0].Field;

    /// <summary>Why the first offending field is wrong.</summary>
    public string Reason => Errors[0].Reason;

    private static string Describe(IReadOnlyList<ValidationError> errors) =>
        errors.Count == 0 ? "Invalid request." : "Invalid request: " + string.Join("; ", errors);
}

/// <summary>The job can never run anywhere in the pool as specified (too large, a GPU model no allowed data center has, no hub in range).</summary>
public sealed class JobRejectedException : ComputeGridValidationException
{
    /// <summary>Creates the exception.</summary>
    public JobRejectedException(IReadOnlyList<ValidationError> errors)
        : base(errors)
    {
    }

    /// <summary>Creates the exception.</summary>
    public JobRejectedException()
    {
    }

    /// <summary>Creates the exception.</summary>
    public JobRejectedException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception.</summary>
    public JobRejectedException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}

/// <summary>A job with this id exists with a different request.</summary>
public sealed class JobConflictException : ComputeGridException
{
    /// <summary>Creates the exception.</summary>
    public JobConflictException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception.</summary>
    public JobConflictException()
    {
    }

    /// <summary>Creates the exception.</summary>
    public JobConflictException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}

/// <summary>No job, or no data center, has the given id.</summary>
public sealed class ComputeGridNotFoundException : ComputeGridException
{
    /// <summary>Creates the exception.</summary>
    public ComputeGridNotFoundException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception.</summary>
    public ComputeGridNotFoundException()
    {
    }

    /// <summary>Creates the exception.</summary>
    public ComputeGridNotFoundException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}

/// <summary>The caller is not allowed to do this (for example submit a job with a command without the permission).</summary>
public sealed class ComputeGridForbiddenException : ComputeGridException
{
    /// <summary>Creates the exception for the field that needs the permission.</summary>
    public ComputeGridForbiddenException(string field, string reason)
        : base($"{field}: {reason}")
    {
        Field = field;
    }

    /// <summary>Creates the exception.</summary>
    public ComputeGridForbiddenException()
    {
        Field = string.Empty;
    }

    /// <summary>Creates the exception.</summary>
    public ComputeGridForbiddenException(string message, Exception innerException)
        : base(message, innerException)
    {
        Field = string.Empty;
    }

    /// <summary>The field that needs the permission.</summary>
    public string Field { get; }
}

/// <summary>The credential is not valid (unknown, revoked or malformed).</summary>
public sealed class ComputeGridUnauthorizedException : ComputeGridException
{
    /// <summary>Creates the exception.</summary>
    public ComputeGridUnauthorizedException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception.</summary>
    public ComputeGridUnauthorizedException()
    {
    }

    /// <summary>Creates the exception.</summary>
    public ComputeGridUnauthorizedException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}

/// <summary>
/// The cluster could not be reached: no gateway answered within the connect timeout when the host started, or the
/// connection was lost and a call found no gateway within its retries and deadline. <see cref="Gateways"/> names what was tried.
/// </summary>
public sealed class ComputeGridConnectionException : ComputeGridException
{
    /// <summary>Creates the exception for the gateways tried.</summary>
    public ComputeGridConnectionException(string message, IReadOnlyList<string> gateways, Exception? innerException)
        : base(message, innerException!)
    {
        Gateways = gateways;
    }

    /// <summary>Creates the exception.</summary>
    public ComputeGridConnectionException()
    {
        Gateways = [];
    }

    /// <summary>Creates the exception.</summary>
    public ComputeGridConnectionException(string message)
        : base(message)
    {
        Gateways = [];
    }

    /// <summary>Creates the exception.</summary>
    public ComputeGridConnectionException(string message, Exception innerException)
        : base(message, innerException)
    {
        Gateways = [];
    }

    /// <summary>The gateways the client tried, as <c>host:port</c> (or the membership table it reads them from).</summary>
    public IReadOnlyList<string> Gateways { get; }
}

/// <summary>
/// An advance reservation was not made because it cannot be honoured now (at some instant of its window the capacity is
/// promised to jobs already holding it or to other reservations; REST 409).
/// <see cref="ComputeGridValidationException.Field"/> names the field (<c>resources</c>).
/// </summary>
public sealed class ReservationRefusedException : ComputeGridValidationException
{
    /// <summary>Creates the exception.</summary>
    public ReservationRefusedException(IReadOnlyList<ValidationError> errors)
        : base(errors)
    {
    }

    /// <summary>Creates the exception.</summary>
    public ReservationRefusedException()
    {
    }

    /// <summary>Creates the exception.</summary>
    public ReservationRefusedException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception.</summary>
    public ReservationRefusedException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}

/// <summary>
/// An advance reservation was not made because it can never be honoured as asked (REST 422): it asks more than its hub's
/// or data center's capacity in all, or a GPU model none of them has; it is over the tenant's quota or the operator's
/// bounds on window and advance; or its id is taken by another request. <see cref="ComputeGridValidationException.Field"/>
/// names the field (<c>resources.gpuModel</c>, <c>resources.gpus</c>, <c>start</c>, <c>end</c>, <c>reservationId</c>, ...).
/// </summary>
public sealed class ReservationRejectedException : ComputeGridValidationException
{
    /// <summary>Creates the exception.</summary>
    public ReservationRejectedException(IReadOnlyList<ValidationError> errors)
        : base(errors)
    {
    }

    /// <summary>Creates the exception.</summary>
    public ReservationRejectedException()
    {
    }

    /// <summary>Creates the exception.</summary>
    public ReservationRejectedException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception.</summary>
    public ReservationRejectedException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
