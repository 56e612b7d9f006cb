//! The ZIP of images an import names, read without trusting it. Entries are only ever read
//! into memory by the name the CSV gives, never written to disk by their own names, and the
//! archive is refused whole when it holds a path that climbs out of its folder or is absolute,
//! an entry that claims to inflate far beyond what it weighs (a decompression bomb), more
//! entries or more inflated bytes than an image archive needs, or encrypted entries. An entry
//! that inflates beyond what its header says is caught while it is read.

use std::collections::HashMap;
use std::io::{Cursor, Read};

/// The most entries an archive may hold.
pub const MAX_ENTRIES: usize = 50_000;
/// The most one image may weigh once inflated (as a photo upload may).
pub const MAX_ENTRY_BYTES: u64 = 20 * 1024 * 1024;
/// The most the whole archive may inflate to.
pub const MAX_TOTAL_BYTES: u64 = 4 * 1024 * 1024 * 1024;
/// Inflated ÷ compressed beyond this is a bomb, not an image: JPEG, PNG and WebP are compressed
/// already and barely shrink again. Only checked above [`RATIO_FLOOR`], where it matters.
pub const MAX_RATIO: u64 = 100;
const RATIO_FLOOR: u64 = 1024 * 1024;

/// The archive, checked, with where each file name's entry is.
pub struct ImageArchive {
    archive: zip::ZipArchive<Cursor<Vec<u8>>>,
    /// File name (its last path part, as the CSV names it) → entry index.
    by_name: HashMap<String, usize>,
}

impl std::fmt::Debug for ImageArchive {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ImageArchive").field("files", &self.by_name.len()).finish()
    }
}

impl ImageArchive {
    /// Reads the archive's directory and checks every entry; why it cannot be used otherwise.
    pub fn open(bytes: Vec<u8>) -> Result<Self, String> {
        let mut archive = zip::ZipArchive::new(Cursor::new(bytes))
            .map_err(|err| format!("it is not a ZIP file ({err})"))?;
        if archive.len() > MAX_ENTRIES {
            return Err(format!("it holds {} files; at most {MAX_ENTRIES}", archive.len()));
        }
        let mut by_name = HashMap::new();
        let mut total: u64 = 0;
        for index in 0..archive.len() {
            let entry =
                archive.by_index_raw(index).map_err(|err| format!("entry {index}: {err}"))?;
            let name = entry.name().map_err(|err| format!("entry {index}: {err}"))?.into_owned();
            if name.starts_with('/') || name.starts_with('\\') || name.contains('\\') {
                return Err(format!("\"{name}\" is an absolute or Windows path"));
            }
            if entry.enclosed_name().is_none() || name.split('/').any(|part| part == "..") {
                return Err(format!("\"{name}\" points outside the archive's folder"));
            }
            if entry.encrypted() {
                return Err(format!("\"{name}\" is encrypted"));
            }
            if entry.is_dir() {
                continue;
            }
            if entry.is_symlink() {
                return Err(format!("\"{name}\" is a link"));
            }
            let (size, compressed) = (entry.size(), entry.compressed_size());
            if size > MAX_ENTRY_BYTES {
                return Err(format!(
                    "\"{name}\" inflates to {} MiB; an image may be at most {} MiB",
                    size / (1024 * 1024),
                    MAX_ENTRY_BYTES / (1024 * 1024)
                ));
            }
            if size > RATIO_FLOOR && size > compressed.saturating_mul(MAX_RATIO) {
                return Err(format!(
                    "\"{name}\" inflates {}-fold, as a decompression bomb does",
                    size / compressed.max(1)
                ));
            }
            total = total.saturating_add(size);
            if total > MAX_TOTAL_BYTES {
                return Err(format!(
                    "it inflates to more than {} GiB",
                    MAX_TOTAL_BYTES / (1024 * 1024 * 1024)
                ));
            }
            let file_name = name.rsplit('/').next().unwrap_or(&name).to_owned();
            if by_name.insert(file_name.clone(), index).is_some() {
                return Err(format!("two files are named \"{file_name}\""));
            }
        }
        Ok(Self { archive, by_name })
    }

    /// The archive's bytes, as they were given.
    pub fn into_bytes(self) -> Vec<u8> {
        self.archive.into_inner().into_inner()
    }

    /// How many files it holds.
    pub fn len(&self) -> usize {
        self.by_name.len()
    }

    pub fn is_empty(&self) -> bool {
        self.by_name.is_empty()
    }

    pub fn contains(&self, file_name: &str) -> bool {
        self.by_name.contains_key(file_name)
    }

    /// The bytes of the file named `file_name` (its last path part); `Ok(None)` when there is
    /// none. An entry that inflates beyond its header's size is an error: the archive lies.
    pub fn read(&mut self, file_name: &str) -> Result<Option<Vec<u8>>, String> {
        let Some(&index) = self.by_name.get(file_name) else {
            return Ok(None);
        };
        let entry =
            self.archive.by_index(index).map_err(|err| format!("\"{file_name}\": {err}"))?;
        let declared = entry.size();
        let mut bytes = Vec::with_capacity(declared.min(MAX_ENTRY_BYTES) as usize);
        entry
            .take(declared.min(MAX_ENTRY_BYTES) + 1)
            .read_to_end(&mut bytes)
            .map_err(|err| format!("\"{file_name}\" cannot be read: {err}"))?;
        if bytes.len() as u64 > declared {
            return Err(format!("\"{file_name}\" inflates beyond the size its header gives"));
        }
        Ok(Some(bytes))
    }
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use zip::write::SimpleFileOptions;

    use super::*;

    fn archive(files: &[(&str, &[u8])]) -> Vec<u8> {
        let mut writer = zip::ZipWriter::new(Cursor::new(Vec::new()));
        for (name, bytes) in files {
            writer.start_file(*name, SimpleFileOptions::default()).unwrap();
            writer.write_all(bytes).unwrap();
        }
        writer.finish().unwrap().into_inner()
    }

    #[test]
    fn files_are_found_by_their_last_path_part() {
        let bytes = archive(&[("mug.jpg", b"jpeg"), ("photos/teapot.png", b"png")]);
        let mut archive = ImageArchive::open(bytes).unwrap();
        assert_eq!(archive.len(), 2);
        assert_eq!(archive.read("teapot.png").unwrap().as_deref(), Some(&b"png"[..]));
        assert_eq!(archive.read("mug.jpg").unwrap().as_deref(), Some(&b"jpeg"[..]));
        assert_eq!(archive.read("cup.jpg").unwrap(), None);
    }

    #[test]
    fn paths_out_of_the_folder_are_refused() {
        for name in ["../evil.jpg", "photos/../../evil.jpg", "/etc/evil.jpg", "c:\\evil.jpg"] {
            let refused = ImageArchive::open(archive(&[(name, b"x")])).unwrap_err();
            assert!(refused.contains("path") || refused.contains("outside"), "{name}: {refused}");
        }
    }

    #[test]
    fn a_bomb_is_refused_before_it_is_inflated() {
        let zeros = vec![0u8; 8 * 1024 * 1024];
        let refused = ImageArchive::open(archive(&[("bomb.png", &zeros)])).unwrap_err();
        assert!(refused.contains("decompression bomb"), "{refused}");
    }

    #[test]
    fn two_files_of_one_name_are_refused() {
        let refused =
            ImageArchive::open(archive(&[("a/mug.jpg", b"1"), ("b/mug.jpg", b"2")])).unwrap_err();
        assert!(refused.contains("two files"), "{refused}");
    }

    #[test]
    fn other_files_are_not_zips() {
        assert!(ImageArchive::open(b"not a zip".to_vec()).unwrap_err().contains("not a ZIP"));
    }
}
