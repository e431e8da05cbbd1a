"""Closed sets of the AI Horde API and the SDK's defaults for it.

Every enum here is a ``StrEnum`` whose values are the exact wire strings. They are ``KNOWN_``-style sets:
a value the server adds later is still accepted wherever a field is typed ``X | str``; the SDK logs a
warning for it instead of rejecting it.
"""

from __future__ import annotations

from enum import StrEnum

from horde_sdk.ai_horde_api.endpoints import AI_HORDE_API_ENDPOINT_SUBPATH
from horde_sdk.generic_api.consts import ANON_API_KEY
from horde_sdk.generic_api.ratelimit import RateLimitRule

__all__ = [
    "AI_HORDE_RATE_LIMIT_RULES",
    "ALCHEMY_FORM_STATE",
    "ALCHEMY_REQUEST_STATE",
    "ANON_API_KEY",
    "DEFAULT_JOB_TIMEOUT",
    "GENERATION_STATE",
    "JOB_CANCEL_TIMEOUT",
    "METADATA_TYPE",
    "METADATA_VALUE",
    "MODEL_STATE",
    "MODEL_TYPE",
    "RC",
    "WARNING_CODE",
    "WORKER_TYPE",
    "build_rate_limit_rules",
]


class RC(StrEnum):
    """Every return code (``rc``) the AI Horde server sends in error bodies, as spelled on the wire."""

    MissingPrompt = "MissingPrompt"
    CorruptPrompt = "CorruptPrompt"
    KudosValidationError = "KudosValidationError"
    NoValidActions = "NoValidActions"
    InvalidSize = "InvalidSize"
    InvalidPromptSize = "InvalidPromptSize"
    TooManySteps = "TooManySteps"
    Profanity = "Profanity"
    ProfaneWorkerName = "ProfaneWorkerName"
    ProfaneBridgeAgent = "ProfaneBridgeAgent"
    ProfaneWorkerInfo = "ProfaneWorkerInfo"
    ProfaneUserName = "ProfaneUserName"
    ProfaneUserContact = "ProfaneUserContact"
    ProfaneAdminComment = "ProfaneAdminComment"
    ProfaneTeamName = "ProfaneTeamName"
    ProfaneTeamInfo = "ProfaneTeamInfo"
    TooLong = "TooLong"
    TooLongWorkerName = "TooLongWorkerName"
    TooLongUserName = "TooLongUserName"
    NameAlreadyExists = "NameAlreadyExists"
    WorkerNameAlreadyExists = "WorkerNameAlreadyExists"
    TeamNameAlreadyExists = "TeamNameAlreadyExists"
    PolymorphicNameConflict = "PolymorphicNameConflict"
    ImageValidationFailed = "ImageValidationFailed"
    SourceImageResolutionExceeded = "SourceImageResolutionExceeded"
    SourceImageSizeExceeded = "SourceImageSizeExceeded"
    SourceImageUrlInvalid = "SourceImageUrlInvalid"
    SourceImageUnreadable = "SourceImageUnreadable"
    InpaintingMissingMask = "InpaintingMissingMask"
    SourceMaskUnnecessary = "SourceMaskUnnecessary"
    UnsupportedSampler = "UnsupportedSampler"
    UnsupportedModel = "UnsupportedModel"
    ControlNetUnsupported = "ControlNetUnsupported"
    ControlNetSourceMissing = "ControlNetSourceMissing"
    ControlNetInvalidPayload = "ControlNetInvalidPayload"
    SourceImageRequiredForModel = "SourceImageRequiredForModel"
    UnexpectedModelName = "UnexpectedModelName"
    TooManyUpscalers = "TooManyUpscalers"
    ProcGenNotFound = "ProcGenNotFound"
    InvalidAestheticAttempt = "InvalidAestheticAttempt"
    AestheticsNotCompleted = "AestheticsNotCompleted"
    AestheticsNotPublic = "AestheticsNotPublic"
    AestheticsDuplicate = "AestheticsDuplicate"
    AestheticsMissing = "AestheticsMissing"
    AestheticsSolo = "AestheticsSolo"
    AestheticsConfused = "AestheticsConfused"
    AestheticsAlreadyExist = "AestheticsAlreadyExist"
    AestheticsServerRejected = "AestheticsServerRejected"
    AestheticsServerError = "AestheticsServerError"
    AestheticsServerDown = "AestheticsServerDown"
    AestheticsServerTimeout = "AestheticsServerTimeout"
    InvalidAPIKey = "InvalidAPIKey"
    WrongCredentials = "WrongCredentials"
    NotAdmin = "NotAdmin"
    NotModerator = "NotModerator"
    NotOwner = "NotOwner"
    NotPrivileged = "NotPrivileged"
    AnonForbidden = "AnonForbidden"
    AnonForbiddenWorker = "AnonForbiddenWorker"
    AnonForbiddenUserMod = "AnonForbiddenUserMod"
    NotTrusted = "NotTrusted"
    UntrustedTeamCreation = "UntrustedTeamCreation"
    UntrustedUnsafeIP = "UntrustedUnsafeIP"
    WorkerMaintenance = "WorkerMaintenance"
    WorkerFlaggedMaintenance = "WorkerFlaggedMaintenance"
    TooManySameIPs = "TooManySameIPs"
    WorkerInviteOnly = "WorkerInviteOnly"
    UnsafeIP = "UnsafeIP"
    TimeoutIP = "TimeoutIP"
    TooManyNewIPs = "TooManyNewIPs"
    KudosUpfront = "KudosUpfront"
    SharedKeyEmpty = "SharedKeyEmpty"
    SharedKeyExpired = "SharedKeyExpired"
    SharedKeyInsufficientKudos = "SharedKeyInsufficientKudos"
    InvalidJobID = "InvalidJobID"
    RequestNotFound = "RequestNotFound"
    WorkerNotFound = "WorkerNotFound"
    TeamNotFound = "TeamNotFound"
    FilterNotFound = "FilterNotFound"
    UserNotFound = "UserNotFound"
    DuplicateGen = "DuplicateGen"
    AbortedGen = "AbortedGen"
    RequestExpired = "RequestExpired"
    TooManyPrompts = "TooManyPrompts"
    NoValidWorkers = "NoValidWorkers"
    MaintenanceMode = "MaintenanceMode"
    TargetAccountFlagged = "TargetAccountFlagged"
    SourceAccountFlagged = "SourceAccountFlagged"
    FaultWhenKudosReceiving = "FaultWhenKudosReceiving"
    FaultWhenKudosSending = "FaultWhenKudosSending"
    TooFastKudosTransfers = "TooFastKudosTransfers"
    KudosTransferToAnon = "KudosTransferToAnon"
    KudosTransferToSelf = "KudosTransferToSelf"
    KudosTransferNotEnough = "KudosTransferNotEnough"
    NegativeKudosTransfer = "NegativeKudosTransfer"
    KudosTransferFromAnon = "KudosTransferFromAnon"
    InvalidAwardUsername = "InvalidAwardUsername"
    KudosAwardToAnon = "KudosAwardToAnon"
    NotAllowedAwards = "NotAllowedAwards"
    NoWorkerModSelected = "NoWorkerModSelected"
    NoUserModSelected = "NoUserModSelected"
    NoHordeModSelected = "NoHordeModSelected"
    NoTeamModSelected = "NoTeamModSelected"
    NoFilterModSelected = "NoFilterModSelected"
    NoSharedKeyModSelected = "NoSharedKeyModSelected"
    BadRequest = "BadRequest"
    Forbidden = "Forbidden"
    Locked = "Locked"
    ControlNetMismatch = "ControlNetMismatch"
    HiResFixMismatch = "HiResFixMismatch"
    TooManyLoras = "TooManyLoras"
    BadLoraVersion = "BadLoraVersion"
    TooManyTIs = "TooManyTIs"
    BetaAnonForbidden = "BetaAnonForbidden"
    BetaComparisonFault = "BetaComparisonFault"
    BadCFGDecimals = "BadCFGDecimals"
    BadCFGNumber = "BadCFGNumber"
    BadClientAgent = "BadClientAgent"
    SpecialMissingPayload = "SpecialMissingPayload"
    SpecialForbidden = "SpecialForbidden"
    SpecialMissingUsername = "SpecialMissingUsername"
    SpecialModelNeedsSpecialUser = "SpecialModelNeedsSpecialUser"
    SpecialFieldNeedsSpecialUser = "SpecialFieldNeedsSpecialUser"
    Img2ImgMismatch = "Img2ImgMismatch"
    TilingMismatch = "TilingMismatch"
    EducationCannotSendKudos = "EducationCannotSendKudos"
    InvalidPriorityUsername = "InvalidPriorityUsername"
    OnlyServiceAccountProxy = "OnlyServiceAccountProxy"
    RequiresTrust = "RequiresTrust"
    InvalidRemixModel = "InvalidRemixModel"
    InvalidExtraSourceImages = "InvalidExtraSourceImages"
    TooManyExtraSourceImages = "TooManyExtraSourceImages"
    MissingFullSamplerOrder = "MissingFullSamplerOrder"
    TooManyStopSequences = "TooManyStopSequences"
    ExcessiveStopSequence = "ExcessiveStopSequence"
    TokenOverflow = "TokenOverflow"
    MoreThanMinExtraSourceImage = "MoreThanMinExtraSourceImage"
    InvalidExtraTexts = "InvalidExtraTexts"
    MissingExtraTexts = "MissingExtraTexts"
    InvalidTransparencyModel = "InvalidTransparencyModel"
    InvalidTransparencyImg2Img = "InvalidTransparencyImg2Img"
    InvalidTransparencyCN = "InvalidTransparencyCN"
    HiResMismatch = "HiResMismatch"
    SharedKeyInvalid = "SharedKeyInvalid"
    SharedKeyAssignedStyles = "SharedKeyAssignedStyles"
    StylesAnonForbidden = "StylesAnonForbidden"
    StylePromptMissingVars = "StylePromptMissingVars"
    StylesRequiresCustomizer = "StylesRequiresCustomizer"
    StyleMismatch = "StyleMismatch"
    StyleGetMistmatch = "StyleGetMistmatch"
    TooManyStyleExamples = "TooManyStyleExamples"
    ExampleURLAlreadyInUse = "ExampleURLAlreadyInUse"
    MessagesOnlyOwnWorkers = "MessagesOnlyOwnWorkers"
    NotUserOrMod = "NotUserOrMod"
    CannotDeleteMod = "CannotDeleteMod"
    UserNotDeleted = "UserNotDeleted"
    DeletedUser = "DeletedUser"
    CannotWipeActiveUser = "CannotWipeActiveUser"
    NonServiceForbidden = "NonServiceForbidden"
    NulByteInPayload = "NulByteInPayload"


class GENERATION_STATE(StrEnum):  # noqa: N801 - KNOWN_-style constant set
    """The state a worker submits for a generation, and the state a finished image reports."""

    ok = "ok"
    censored = "censored"
    faulted = "faulted"
    csam = "csam"


class WORKER_TYPE(StrEnum):  # noqa: N801
    """The kinds of worker."""

    image = "image"
    text = "text"
    interrogation = "interrogation"
    """Alchemy workers are called interrogation workers on the wire."""


class MODEL_TYPE(StrEnum):  # noqa: N801
    """The kinds of model the horde lists (``type`` of models, styles and collections)."""

    image = "image"
    text = "text"


class MODEL_STATE(StrEnum):  # noqa: N801
    """Which models a models/stats listing includes (``model_state`` query)."""

    known = "known"
    custom = "custom"
    all = "all"


class METADATA_TYPE(StrEnum):  # noqa: N801
    """What a ``gen_metadata`` entry of a submitted generation is about."""

    lora = "lora"
    ti = "ti"
    censorship = "censorship"
    source_image = "source_image"
    source_mask = "source_mask"
    extra_source_images = "extra_source_images"
    batch_index = "batch_index"
    information = "information"
    aesthetic_score = "aesthetic_score"


class METADATA_VALUE(StrEnum):  # noqa: N801
    """What happened to the thing a ``gen_metadata`` entry is about."""

    download_failed = "download_failed"
    parse_failed = "parse_failed"
    baseline_mismatch = "baseline_mismatch"
    csam = "csam"
    nsfw = "nsfw"
    see_ref = "see_ref"


class WARNING_CODE(StrEnum):  # noqa: N801
    """Codes of the warnings an async request may come back with."""

    NoAvailableWorker = "NoAvailableWorker"
    ClipSkipMismatch = "ClipSkipMismatch"
    StepsTooFew = "StepsTooFew"
    StepsTooMany = "StepsTooMany"
    CfgScaleMismatch = "CfgScaleMismatch"
    CfgScaleTooSmall = "CfgScaleTooSmall"
    CfgScaleTooLarge = "CfgScaleTooLarge"
    SamplerMismatch = "SamplerMismatch"
    SchedulerMismatch = "SchedulerMismatch"


class ALCHEMY_FORM_STATE(StrEnum):  # noqa: N801
    """The state of one form of an alchemy (interrogation) request."""

    waiting = "waiting"
    processing = "processing"
    done = "done"
    faulted = "faulted"
    cancelled = "cancelled"


class ALCHEMY_REQUEST_STATE(StrEnum):  # noqa: N801
    """The overall state of an alchemy request (``partial``: some forms cancelled or faulted)."""

    waiting = "waiting"
    processing = "processing"
    done = "done"
    partial = "partial"
    faulted = "faulted"
    cancelled = "cancelled"


_E = AI_HORDE_API_ENDPOINT_SUBPATH

_SPECIAL_RULES: tuple[RateLimitRule, ...] = (
    # Async submits: 2/s and 90/min per IP and path.
    RateLimitRule(_E.v2_generate_async, limit=2, period=1.0, method="POST"),
    RateLimitRule(_E.v2_generate_async, limit=90, period=60.0, method="POST"),
    RateLimitRule(_E.v2_generate_text_async, limit=2, period=1.0, method="POST"),
    RateLimitRule(_E.v2_generate_text_async, limit=90, period=60.0, method="POST"),
    # Image progress: check 10/s per id; status (GET and DELETE counted apart) only 10/min per id.
    RateLimitRule(_E.v2_generate_check, limit=10, period=1.0, method="GET", per_concrete_path=True),
    RateLimitRule(_E.v2_generate_status, limit=10, period=60.0, method="GET", per_concrete_path=True),
    RateLimitRule(_E.v2_generate_status, limit=10, period=60.0, method="DELETE", per_concrete_path=True),
    RateLimitRule(_E.v2_generate_text_status, limit=60, period=60.0, method="GET", per_concrete_path=True),
    RateLimitRule(_E.v2_interrogate_status, limit=10, period=1.0, method="GET", per_concrete_path=True),
    # Worker pop and submit: 60/s.
    *(
        RateLimitRule(endpoint, limit=60, period=1.0, method="POST")
        for endpoint in (
            _E.v2_generate_pop,
            _E.v2_generate_submit,
            _E.v2_generate_text_pop,
            _E.v2_generate_text_submit,
            _E.v2_interrogate_pop,
            _E.v2_interrogate_submit,
        )
    ),
)
_EXEMPT = frozenset({_E.v2_generate_async, _E.v2_generate_text_async, _E.v2_status_heartbeat})


def build_rate_limit_rules() -> tuple[RateLimitRule, ...]:
    """Return the client-side rules that keep one client under the AI Horde's documented limits.

    The special routes have their own limits; every other route allows 90 requests a minute per path
    (``/v2/status/heartbeat`` is exempt). Routes with a special rule for one method keep the default
    for their other methods.
    """
    special = {(rule.path_template, rule.method) for rule in _SPECIAL_RULES}
    defaults = tuple(
        RateLimitRule(endpoint, limit=90, period=60.0, method=method, per_concrete_path=True)
        for endpoint in AI_HORDE_API_ENDPOINT_SUBPATH
        if endpoint not in _EXEMPT
        for method in ("GET", "POST", "PUT", "PATCH", "DELETE")
        if (endpoint, method) not in special
    )
    return _SPECIAL_RULES + defaults


AI_HORDE_RATE_LIMIT_RULES: tuple[RateLimitRule, ...] = build_rate_limit_rules()
"""The rules of :func:`build_rate_limit_rules`, built once."""

DEFAULT_JOB_TIMEOUT = 20 * 60.0
"""Seconds a simple client waits for a job by default: the life of a request on the AI Horde (20 minutes).

A request nobody pops or submits for 20 minutes is gone (``404 RequestNotFound``), so waiting longer can
never help; pass a shorter ``timeout`` to give up sooner.
"""

JOB_CANCEL_TIMEOUT = 10.0
"""Seconds a job that ran out of time may spend cancelling itself on the server (and fetching what had
finished). A job call therefore ends at most ``timeout + JOB_CANCEL_TIMEOUT`` seconds after it started."""
