"""What AWS refused, in one line a user can act on (the state reader and the live readers)."""

from __future__ import annotations


def aws_error_message(  # noqa: PLR0911 - one message per kind of failure
    error: Exception, service: str | None = None
) -> str:
    """One line that says what AWS refused and what to do about it."""
    from botocore.exceptions import (  # noqa: PLC0415 - botocore loads only when AWS is used
        ClientError,
        EndpointConnectionError,
        NoCredentialsError,
        NoRegionError,
        PartialCredentialsError,
    )

    if isinstance(error, (NoCredentialsError, PartialCredentialsError)):
        return (
            "no AWS credentials found; set AWS_PROFILE, or AWS_ACCESS_KEY_ID and "
            "AWS_SECRET_ACCESS_KEY, or run where a role is available"
        )
    if isinstance(error, NoRegionError):
        return "no AWS region; set AWS_REGION"
    if isinstance(error, EndpointConnectionError):
        return f"cannot reach AWS: {error}"
    if not isinstance(error, ClientError):
        return f"AWS request failed: {error}"
    details = error.response.get("Error", {})
    code = str(details.get("Code", "Unknown"))
    message = str(details.get("Message", "")).strip()
    operation = f"{service}:{error.operation_name}" if service else error.operation_name
    retries = error.response.get("ResponseMetadata", {}).get("RetryAttempts", 0)
    if code in THROTTLING_CODES:
        return (
            f"AWS throttled {operation} ({code}) on all {retries + 1} attempts; "
            "try again later or raise AWS_MAX_ATTEMPTS"
        )
    if code in DENIED_CODES:
        return f"AWS denied {operation} ({code}): {message}; the identity needs read access"
    if code in CREDENTIAL_CODES:
        return f"AWS rejected the credentials calling {operation} ({code}): {message}"
    return f"AWS error calling {operation} ({code}): {message}"


THROTTLING_CODES = frozenset(
    {
        "Throttling",
        "ThrottlingException",
        "ThrottledException",
        "RequestThrottledException",
        "TooManyRequestsException",
        "ProvisionedThroughputExceededException",
        "TransactionInProgressException",
        "RequestLimitExceeded",
        "BandwidthLimitExceeded",
        "LimitExceededException",
        "RequestThrottled",
        "SlowDown",
        "PriorRequestNotComplete",
        "EC2ThrottledException",
    }
)
DENIED_CODES = frozenset(
    {"AccessDenied", "AccessDeniedException", "UnauthorizedOperation", "Forbidden"}
)
CREDENTIAL_CODES = frozenset(
    {
        "AuthFailure",
        "InvalidClientTokenId",
        "UnrecognizedClientException",
        "SignatureDoesNotMatch",
        "ExpiredToken",
        "ExpiredTokenException",
        "InvalidAccessKeyId",
    }
)
