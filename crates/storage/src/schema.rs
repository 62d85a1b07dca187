//! Table and column names for the query builder.

use sea_query::Iden;

#[derive(Iden, Clone, Copy)]
pub enum Companies {
    Table,
    Id,
    Name,
    DefaultCountry,
    CreatedAt,
}

#[derive(Iden, Clone, Copy)]
pub enum Departments {
    Table,
    Id,
    CompanyId,
    ParentId,
    Name,
    Introduction,
    Path,
    DefaultGrants,
    CreatedAt,
}

#[derive(Iden, Clone, Copy)]
pub enum Staff {
    Table,
    Id,
    CompanyId,
    DepartmentId,
    Account,
    Name,
    Nickname,
    Notes,
    Memo,
    PasswordHash,
    Status,
    Role,
    Grants,
    CreatorId,
    CreatedAt,
    FirstNumberId,
}

#[derive(Iden, Clone, Copy)]
pub enum StaffAvatars {
    Table,
    StaffId,
    ContentType,
    Bytes,
    UpdatedAt,
}

#[derive(Iden, Clone, Copy)]
pub enum Sessions {
    Table,
    TokenHash,
    StaffId,
    CsrfToken,
    CreatedAt,
    ExpiresAt,
}

#[derive(Iden, Clone, Copy)]
pub enum LoginThrottle {
    Table,
    Key,
    Failures,
    FirstFailureAt,
    LockedUntil,
}

#[derive(Iden, Clone, Copy)]
pub enum AuditLog {
    Table,
    Id,
    CompanyId,
    ActorId,
    Action,
    TargetType,
    TargetId,
    BeforeJson,
    AfterJson,
    Source,
    At,
}

#[derive(Iden, Clone, Copy)]
pub enum Numbers {
    Table,
    Id,
    CompanyId,
    DepartmentId,
    OwnerStaffId,
    PhoneNumberId,
    WabaId,
    DisplayPhoneNumber,
    VerifiedName,
    AccessTokenSealed,
    AppSecretSealed,
    VerifyToken,
    Status,
    LastActivityAt,
    SyncFilter,
    SyncExcept,
    CreatedAt,
}

#[derive(Iden, Clone, Copy)]
pub enum Contacts {
    Table,
    Id,
    CompanyId,
    DepartmentId,
    Name,
    Phone,
    WaId,
    UserId,
    Source,
    CreatedAt,
    ResponsibleStaffId,
    PhoneTyped,
    Email,
    Address,
    Fields,
    Search,
    UpdatedAt,
    DeletedAt,
    ImportId,
}

#[derive(Iden, Clone, Copy)]
pub enum ContactFields {
    Table,
    Id,
    CompanyId,
    Key,
    Name,
    FieldType,
    Options,
    Tip,
    Required,
    Public,
    Enabled,
    Position,
    CreatedAt,
    UpdatedAt,
}

#[derive(Iden, Clone, Copy)]
pub enum ContactFieldDepartments {
    Table,
    FieldId,
    DepartmentId,
}

#[derive(Iden, Clone, Copy)]
pub enum ContactNotes {
    Table,
    Id,
    CompanyId,
    ContactId,
    AuthorStaffId,
    Title,
    Body,
    CreatedAt,
    UpdatedAt,
}

#[derive(Iden, Clone, Copy)]
pub enum ListColumns {
    Table,
    StaffId,
    List,
    Columns,
    PageSize,
}

#[derive(Iden, Clone, Copy)]
pub enum Imports {
    Table,
    Id,
    CompanyId,
    StaffId,
    FileName,
    Path,
    Mapping,
    StaffIds,
    DepartmentId,
    Source,
    Status,
    TotalRows,
    NextRow,
    Imported,
    Rejected,
    Error,
    LockedUntil,
    CreatedAt,
    FinishedAt,
}

#[derive(Iden, Clone, Copy)]
pub enum ImportRejections {
    Table,
    ImportId,
    RowNumber,
    ColumnName,
    Reason,
    Cells,
}

#[derive(Iden, Clone, Copy)]
pub enum Conversations {
    Table,
    Id,
    CompanyId,
    NumberId,
    ContactId,
    GroupId,
    GroupName,
    ResponsibleStaffId,
    LastMessageAt,
    LastMessageText,
    LastInboundAt,
    Unanswered,
    CreatedAt,
    Status,
    SnoozedUntil,
}

#[derive(Iden, Clone, Copy)]
pub enum Messages {
    Table,
    Id,
    CompanyId,
    ConversationId,
    Wamid,
    Direction,
    Kind,
    Text,
    MediaId,
    MediaMimeType,
    MediaSha256,
    MediaFilename,
    ReplyTo,
    TargetWamid,
    Status,
    StatusRank,
    ErrorCode,
    ErrorTitle,
    RawJson,
    SentAt,
    CreatedAt,
    MediaPath,
    MediaSize,
    MediaError,
    SenderContactId,
    StaffId,
    AutoReplyId,
    AnswersMessageId,
}

#[derive(Iden, Clone, Copy)]
pub enum MessageStatuses {
    Table,
    CompanyId,
    Wamid,
    Status,
    ErrorCode,
    ErrorTitle,
    RawJson,
    ReportedAt,
    ReceivedAt,
}

/// The job queue (`jobs`): sends, media downloads.
#[derive(Iden, Clone, Copy)]
pub enum Jobs {
    Table,
    Kind,
    Id,
    CompanyId,
    MessageId,
    NumberId,
    PayloadJson,
    State,
    Attempts,
    NextAttemptAt,
    LockedUntil,
    LastError,
    CreatedAt,
    UpdatedAt,
}

#[derive(Iden, Clone, Copy)]
pub enum Templates {
    Table,
    Id,
    CompanyId,
    WabaId,
    Name,
    Language,
    Category,
    Status,
    Reason,
    ComponentsJson,
    ParameterCount,
    UpdatedAt,
    CreatedAt,
}

#[derive(Iden, Clone, Copy)]
pub enum Uploads {
    Table,
    Id,
    CompanyId,
    StaffId,
    Filename,
    MimeType,
    Size,
    Path,
    CreatedAt,
}

#[derive(Iden, Clone, Copy)]
pub enum Distributions {
    Table,
    NumberId,
    CompanyId,
    Mode,
    Turn,
    UpdatedAt,
    NotifyManagers,
}

#[derive(Iden, Clone, Copy)]
pub enum DistributionStaff {
    Table,
    NumberId,
    StaffId,
    Position,
}

#[derive(Iden, Clone, Copy)]
pub enum Notifications {
    Table,
    Id,
    CompanyId,
    StaffId,
    ConversationId,
    Kind,
    Count,
    Unread,
    RemindAt,
    UpdatedAt,
}

#[derive(Iden, Clone, Copy)]
pub enum SavedViews {
    Table,
    Id,
    CompanyId,
    StaffId,
    Name,
    FiltersJson,
    CreatedAt,
}

#[derive(Iden, Clone, Copy)]
pub enum AutoReplies {
    Table,
    Id,
    CompanyId,
    Scope,
    OwnerStaffId,
    Pattern,
    MatchWords,
    RepliesJson,
    Enabled,
    Priority,
    InGroups,
    CooldownMinutes,
    CreatedBy,
    CreatedAt,
    UpdatedAt,
}

#[derive(Iden, Clone, Copy)]
pub enum AutoReplyAnswers {
    Table,
    RuleId,
    ContactId,
    AnsweredAt,
}

#[derive(Iden, Clone, Copy)]
pub enum AutoReplyVersions {
    Table,
    CompanyId,
    Version,
}

#[derive(Iden, Clone, Copy)]
pub enum PredefinedTexts {
    Table,
    Id,
    CompanyId,
    OwnerStaffId,
    Name,
    Body,
    CreatedAt,
    UpdatedAt,
}

#[derive(Iden, Clone, Copy)]
pub enum NumberGreetings {
    Table,
    NumberId,
    CompanyId,
    WelcomeEnabled,
    WelcomeText,
    AwayEnabled,
    AwayText,
    TimeZone,
    HoursJson,
    HolidaysJson,
    PeriodMinutes,
    UpdatedAt,
}

#[derive(Iden, Clone, Copy)]
pub enum GreetingAnswers {
    Table,
    NumberId,
    ContactId,
    Kind,
    AnsweredAt,
}
