//! Stored media files (product images): content-addressed files under one root directory,
//! served read-only at `/media/…` by their own static route.
//!
//! A file's name is the sha256 of its bytes, so a stored file never changes: it can be cached
//! forever, writing the same bytes twice is a no-op, and a file written by a transaction that
//! later rolled back is an orphan, never a wrong image.

use std::io::Write;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

/// The URL prefix media files are served under.
pub const URL_PREFIX: &str = "/media";

#[derive(Debug, thiserror::Error)]
pub enum MediaError {
    #[error("storing {key}: {source}")]
    Io {
        key: String,
        #[source]
        source: std::io::Error,
    },
    #[error("not an image we accept: {0}")]
    UnsupportedImage(String),
}

/// An image file as stored: where, what, and how big.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredImage {
    pub storage_key: String,
    pub content_type: &'static str,
    pub sha256: String,
    pub width: u32,
    pub height: u32,
    pub byte_size: usize,
}

#[derive(Debug, Clone)]
pub struct MediaStore {
    root: PathBuf,
}

impl MediaStore {
    pub fn new(root: impl Into<PathBuf>) -> Self {
        Self { root: root.into() }
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The public URL of a stored file.
    pub fn url(storage_key: &str) -> String {
        format!("{URL_PREFIX}/{storage_key}")
    }

    /// Stores an image under `products/<sha256[..2]>/<sha256>.<ext>` after reading its format and
    /// dimensions from the header (no full decode). Atomic: written to a temporary file, then
    /// renamed, so readers never see half a file.
    pub fn put_product_image(&self, bytes: &[u8]) -> Result<StoredImage, MediaError> {
        let format = image::guess_format(bytes)
            .map_err(|err| MediaError::UnsupportedImage(err.to_string()))?;
        let (content_type, extension) = match format {
            image::ImageFormat::Png => ("image/png", "png"),
            image::ImageFormat::Jpeg => ("image/jpeg", "jpg"),
            image::ImageFormat::WebP => ("image/webp", "webp"),
            other => return Err(MediaError::UnsupportedImage(format!("{other:?}"))),
        };
        let (width, height) = image::ImageReader::with_format(std::io::Cursor::new(bytes), format)
            .into_dimensions()
            .map_err(|err| MediaError::UnsupportedImage(err.to_string()))?;

        let sha256: String =
            Sha256::digest(bytes).iter().map(|byte| format!("{byte:02x}")).collect();
        let storage_key = format!("products/{}/{sha256}.{extension}", &sha256[..2]);
        let path = self.root.join(&storage_key);
        if !path.exists() {
            self.write_atomically(&storage_key, &path, bytes)?;
        }
        Ok(StoredImage { storage_key, content_type, sha256, width, height, byte_size: bytes.len() })
    }

    fn write_atomically(&self, key: &str, path: &Path, bytes: &[u8]) -> Result<(), MediaError> {
        let io = |source| MediaError::Io { key: key.to_owned(), source };
        let dir = path.parent().expect("storage keys have a directory");
        std::fs::create_dir_all(dir).map_err(io)?;
        let tmp = dir.join(format!(".{}.tmp", uuid::Uuid::now_v7()));
        let mut file = std::fs::File::create(&tmp).map_err(io)?;
        file.write_all(bytes).and_then(|()| file.sync_all()).map_err(io)?;
        std::fs::rename(&tmp, path).map_err(io)
    }
}
