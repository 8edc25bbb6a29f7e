//! The local side of a sync: walking the folder, hashing files, comparing, and the manifest.

use super::*;

/// Adds the outcomes to the report and the records to keep; the first error, if any.
pub(super) fn tally(
    outcomes: Vec<Result<Outcome>>,
    up: bool,
    report: &mut SyncReport,
    records: &mut BTreeMap<String, Record>,
) -> Option<Error> {
    let mut first_error = None;
    for outcome in outcomes {
        match outcome {
            Ok(Outcome::Transferred(key, record)) => {
                if let Some(record) = record {
                    records.insert(key.clone(), record);
                }
                if up {
                    report.uploaded.push(key);
                } else {
                    report.downloaded.push(key);
                }
            }
            Ok(Outcome::Unchanged(key, record)) => {
                records.insert(key.clone(), record);
                report.unchanged.push(key);
            }
            Ok(Outcome::Skipped(skip)) => report.skipped.push(skip),
            Err(e) => {
                debug!(error = %e, "sync: a file failed");
                first_error.get_or_insert(e);
            }
        }
    }
    first_error
}

/// The prefix as a folder: empty, or ending with `/`.
pub(super) fn folder_prefix(prefix: &str) -> String {
    if prefix.is_empty() || prefix.ends_with('/') {
        prefix.to_owned()
    } else {
        format!("{prefix}/")
    }
}

/// Same content: equal SHA-512s, else equal full-object CRC64NVMEs, else the ETag is the MD5
/// of the local content.
pub(super) fn same(local: &LocalHash, remote: &Record) -> bool {
    if local.size != remote.size {
        return false;
    }
    if let Some(sha512) = &remote.sha512 {
        return *sha512 == local.sha512;
    }
    if let Some(crc) = &remote.crc64nvme {
        return *crc == local.crc64;
    }
    remote.etag.eq_ignore_ascii_case(&local.md5)
}

/// True when a part of `rel` under `root` (the file itself included) is a symbolic link.
pub(super) async fn through_symlink(root: &Path, rel: &Path) -> bool {
    let mut path = root.to_path_buf();
    for part in rel.components() {
        path.push(part);
        match tokio::fs::symlink_metadata(&path).await {
            Ok(meta) if meta.file_type().is_symlink() => return true,
            Ok(_) => {}
            Err(_) => return false,
        }
    }
    false
}

/// The files under `root` (relative paths with `/`), and what was skipped.
pub(super) fn walk(root: &Path, follow: bool) -> Result<(Vec<LocalFile>, Vec<SyncSkip>)> {
    let mut files = Vec::new();
    let mut skipped = Vec::new();
    let mut seen = HashSet::new();
    if let Ok(canonical) = root.canonicalize() {
        seen.insert(canonical);
    }
    let mut stack = vec![(root.to_path_buf(), String::new())];
    while let Some((dir, rel_dir)) = stack.pop() {
        let entries = std::fs::read_dir(&dir).map_err(|e| Error::io(&dir, e))?;
        for entry in entries {
            let entry = entry.map_err(|e| Error::io(&dir, e))?;
            let path = entry.path();
            let name = entry.file_name();
            let Some(name) = name.to_str() else {
                skipped.push(SyncSkip {
                    name: format!("{rel_dir}{}", name.to_string_lossy()),
                    reason: SkipReason::UnsupportedName("the name is not UTF-8".into()),
                });
                continue;
            };
            if rel_dir.is_empty() && (name == SYNC_MANIFEST || name.starts_with(".awsimple-sync."))
            {
                continue;
            }
            let rel = format!("{rel_dir}{name}");
            let mut kind = entry.file_type().map_err(|e| Error::io(&path, e))?;
            if kind.is_symlink() {
                if !follow {
                    skipped.push(SyncSkip {
                        name: rel,
                        reason: SkipReason::Symlink,
                    });
                    continue;
                }
                match std::fs::metadata(&path) {
                    Ok(meta) => kind = meta.file_type(),
                    Err(_) => {
                        skipped.push(SyncSkip {
                            name: rel,
                            reason: SkipReason::Symlink,
                        });
                        continue;
                    }
                }
            }
            if kind.is_dir() {
                // A folder seen before (a link loop) is not walked again.
                if path.canonicalize().is_ok_and(|c| seen.insert(c)) {
                    stack.push((path, format!("{rel}/")));
                }
            } else if kind.is_file() {
                files.push(LocalFile { rel, path });
            } else {
                skipped.push(SyncSkip {
                    name: rel,
                    reason: SkipReason::NotAFile,
                });
            }
        }
    }
    files.sort_by(|a, b| a.rel.cmp(&b.rel));
    Ok((files, skipped))
}

/// SHA-512, CRC64NVME, MD5 and the ETag of an awsimple upload of the file, in one pass.
pub(super) fn hash_local(
    path: &Path,
    multipart_threshold: u64,
    part_size: u64,
) -> Result<LocalHash> {
    let mut file = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
    let mut sha = Sha512Hasher::new();
    let mut crc = Crc64::new();
    let mut md5 = md5::Md5::new();
    let mut part_md5 = md5::Md5::new();
    let mut part_digests: Vec<u8> = Vec::new();
    let mut in_part = 0u64;
    let mut size = 0u64;
    let mut buffer = vec![0u8; 1 << 20];
    loop {
        let n = match file.read(&mut buffer) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(Error::io(path, e)),
        };
        let data = &buffer[..n];
        sha.update(data);
        crc.update(data);
        md5.update(data);
        size += n as u64;
        let mut rest = data;
        while !rest.is_empty() {
            let take = (part_size - in_part).min(rest.len() as u64) as usize;
            part_md5.update(&rest[..take]);
            in_part += take as u64;
            rest = &rest[take..];
            if in_part == part_size {
                part_digests.extend_from_slice(&std::mem::take(&mut part_md5).finalize());
                in_part = 0;
            }
        }
    }
    let mut parts = part_digests.len() as u64 / 16;
    if in_part > 0 {
        part_digests.extend_from_slice(&part_md5.finalize());
        parts += 1;
    }
    let md5 = hex(&md5.finalize());
    let upload_etag = if size > multipart_threshold {
        format!("{}-{parts}", hex(&md5::Md5::digest(&part_digests)))
    } else {
        md5.clone()
    };
    Ok(LocalHash {
        size,
        sha512: sha.finish().to_hex(),
        crc64: crc.finish(),
        md5,
        upload_etag,
    })
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The records of `target` in the folder's manifest (none when it is missing or unreadable:
/// that costs HEADs, never a wrong answer).
pub(super) async fn load_manifest(root: &Path, target: &str) -> BTreeMap<String, Record> {
    let path = root.join(SYNC_MANIFEST);
    let Ok(bytes) = tokio::fs::read(&path).await else {
        return BTreeMap::new();
    };
    match serde_json::from_slice::<Manifest>(&bytes) {
        Ok(mut manifest) if manifest.version == MANIFEST_VERSION => {
            manifest.targets.remove(target).unwrap_or_default()
        }
        Ok(_) => BTreeMap::new(),
        Err(e) => {
            debug!(path = %path.display(), error = %e, "sync manifest unreadable: ignored");
            BTreeMap::new()
        }
    }
}

/// Replaces the records of `target` in the folder's manifest (written atomically; a failure is
/// logged: it only costs HEADs on the next sync).
pub(super) async fn save_manifest(root: &Path, target: &str, records: BTreeMap<String, Record>) {
    let path = root.join(SYNC_MANIFEST);
    let mut manifest = match tokio::fs::read(&path).await {
        Ok(bytes) => serde_json::from_slice::<Manifest>(&bytes)
            .ok()
            .filter(|m| m.version == MANIFEST_VERSION)
            .unwrap_or_default(),
        Err(_) => Manifest::default(),
    };
    manifest.version = MANIFEST_VERSION;
    manifest.targets.insert(target.to_owned(), records);
    let root = root.to_path_buf();
    let written = tokio::task::spawn_blocking(move || -> std::io::Result<()> {
        let bytes = serde_json::to_vec(&manifest).map_err(std::io::Error::other)?;
        let mut temp = tempfile::Builder::new()
            .prefix(&format!("{SYNC_MANIFEST}."))
            .tempfile_in(&root)?;
        temp.write_all(&bytes)?;
        temp.persist(root.join(SYNC_MANIFEST))
            .map_err(|e| e.error)?;
        Ok(())
    })
    .await;
    match written {
        Ok(Ok(())) => {}
        Ok(Err(e)) => debug!(path = %path.display(), error = %e, "sync manifest not saved"),
        Err(e) => debug!(path = %path.display(), error = %e, "sync manifest not saved"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixes_are_folders() {
        assert_eq!(folder_prefix(""), "");
        assert_eq!(folder_prefix("a"), "a/");
        assert_eq!(folder_prefix("a/b/"), "a/b/");
    }

    #[test]
    fn upload_etags_are_predicted() -> Result<()> {
        let dir = tempfile::tempdir().map_err(|e| Error::io("tempdir", e))?;
        let path = dir.path().join("f");
        std::fs::write(&path, b"abc").map_err(|e| Error::io(&path, e))?;
        let single = hash_local(&path, 5, 2)?;
        assert_eq!(single.md5, "900150983cd24fb0d6963f7d28e17f72");
        assert_eq!(single.upload_etag, single.md5);
        // Above the threshold: parts "ab" and "c".
        let multi = hash_local(&path, 2, 2)?;
        let mut parts = md5::Md5::digest(b"ab").to_vec();
        parts.extend_from_slice(&md5::Md5::digest(b"c"));
        assert_eq!(
            multi.upload_etag,
            format!("{}-2", hex(&md5::Md5::digest(&parts)))
        );
        let record = |sha512: Option<&str>, crc: Option<&str>, etag: &str| Record {
            etag: etag.into(),
            size: 3,
            sha512: sha512.map(str::to_owned),
            crc64nvme: crc.map(str::to_owned),
        };
        assert!(same(&single, &record(Some(&single.sha512), None, "x")));
        assert!(!same(
            &single,
            &record(Some("00"), Some(&single.crc64), &single.md5)
        ));
        assert!(same(&single, &record(None, Some(&single.crc64), "x")));
        assert!(same(&single, &record(None, None, &single.md5)));
        assert!(!same(&single, &record(None, None, "x")));
        Ok(())
    }
}
