namespace Kizuna.Cot.Tests.Differential.HandWritten;

// Field numbers of TAK protocol v1, one enum per message, as in schemas/tak/takmessage.proto
// (written from the published field table). The hand-written codec names every field by these.

internal enum TakMessageField
{
    TakControl = 1,
    CotEvent = 2,
    SubmissionTime = 3,
    CreationTime = 4,
}

internal enum TakControlField
{
    MinProtoVersion = 1,
    MaxProtoVersion = 2,
    ContactUid = 3,
}

internal enum CotEventField
{
    Type = 1,
    Access = 2,
    Qos = 3,
    Opex = 4,
    Uid = 5,
    SendTime = 6,
    StartTime = 7,
    StaleTime = 8,
    How = 9,
    Lat = 10,
    Lon = 11,
    Hae = 12,
    Ce = 13,
    Le = 14,
    Detail = 15,
    Caveat = 16,
    ReleaseableTo = 17,
}

/// <summary>Detail's fields: xmlDetail, then one typed message per element it can carry (Contact to Track).</summary>
internal enum DetailField
{
    XmlDetail = 1,
    Contact = 2,
    Group = 3,
    PrecisionLocation = 4,
    Status = 5,
    Takv = 6,
    Track = 7,
}

/// <summary>Protobuf wire types the codec reads and writes.</summary>
internal static class WireType
{
    public const int Varint = 0;
    public const int Fixed64 = 1;
    public const int LengthDelimited = 2;
}

internal enum StatusField
{
    Battery = 1,
}

internal enum TrackField
{
    Speed = 1,
    Course = 2,
}

// Contact (endpoint 1, callsign 2), Group (name 1, role 2), PrecisionLocation (geopointsrc 1,
// altsrc 2) and Takv (device 1, platform 2, os 3, version 4) are all strings: the codec numbers
// their fields by the position of the attribute in TakProto.FieldNames, from 1.
