//! What can be sent as a WhatsApp attachment: the message kind each file type becomes and
//! WhatsApp's size limit for it, with a check that images and PDFs are what they claim.

/// An accepted attachment type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AttachmentKind {
    /// The WhatsApp message type: `image`, `video`, `audio`, `document`, `sticker`.
    pub kind: &'static str,
    pub max_bytes: usize,
}

const MB: usize = 1024 * 1024;

/// The kind a file of this MIME type is sent as, or `None` when WhatsApp does not take it.
pub fn kind_for(mime_type: &str) -> Option<AttachmentKind> {
    let (kind, max_bytes) = match mime_type {
        "image/jpeg" | "image/png" => ("image", 5 * MB),
        "image/webp" => ("sticker", MB / 2),
        "video/mp4" | "video/3gpp" => ("video", 16 * MB),
        "audio/aac" | "audio/amr" | "audio/mpeg" | "audio/mp4" | "audio/ogg" => ("audio", 16 * MB),
        "application/pdf"
        | "text/plain"
        | "application/msword"
        | "application/vnd.ms-excel"
        | "application/vnd.ms-powerpoint"
        | "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
        | "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        | "application/vnd.openxmlformats-officedocument.presentationml.presentation" => ("document", 100 * MB),
        _ => return None,
    };
    Some(AttachmentKind { kind, max_bytes })
}

/// Do the first bytes agree with the claimed type? (Checked where the format has a signature.)
pub fn content_matches(mime_type: &str, bytes: &[u8]) -> bool {
    match mime_type {
        "image/png" => bytes.starts_with(b"\x89PNG\r\n\x1a\n"),
        "image/jpeg" => bytes.starts_with(&[0xFF, 0xD8, 0xFF]),
        "image/webp" => bytes.len() >= 12 && &bytes[..4] == b"RIFF" && &bytes[8..12] == b"WEBP",
        "application/pdf" => bytes.starts_with(b"%PDF"),
        _ => !bytes.is_empty(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_and_limits_follow_whatsapp() {
        assert_eq!(kind_for("image/png"), Some(AttachmentKind { kind: "image", max_bytes: 5 * MB }));
        assert_eq!(kind_for("application/pdf").unwrap().kind, "document");
        assert_eq!(kind_for("video/mp4").unwrap().max_bytes, 16 * MB);
        assert_eq!(kind_for("image/svg+xml"), None);
        assert_eq!(kind_for("application/x-msdownload"), None);
    }

    #[test]
    fn claimed_types_are_checked_against_the_bytes() {
        assert!(content_matches("image/png", b"\x89PNG\r\n\x1a\n...."));
        assert!(!content_matches("image/png", b"<svg>"));
        assert!(content_matches("application/pdf", b"%PDF-1.7"));
        assert!(!content_matches("image/jpeg", b"MZ\x90\x00"));
        assert!(!content_matches("text/plain", b""));
    }
}
