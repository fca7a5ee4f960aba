//! What a file carries besides its bytes, and what `apply` and `restore` give each new file and
//! backup so that it is the original's twin: owner, group, mode, then every extended attribute
//! (the POSIX ACL in `system.posix_acl_access`, the SELinux label in `security.selinux`,
//! `user.*`, `trusted.*`), and nothing the original does not have (a default ACL of the
//! directory, or a label the policy gives new files, is taken off again).
//!
//! The order matters: `chown` clears set-id bits and file capabilities, so it comes first; the
//! mode next; the ACL last, because with an ACL the group bits of the mode are the ACL's mask
//! (copying the mode alone turns `group::r--` with `mask::rw-` into `group::rw-`).

use std::ffi::OsString;
use std::fs::{self, File};
use std::os::unix::fs::{MetadataExt, PermissionsExt};

use xattr::FileExt;

/// Owner, group, mode and extended attributes of `original`, given to `copy`. Returns what could
/// not be carried over, one line each (an attribute the filesystem or the kernel refuses), for
/// the caller to say; owner, group and mode must be carried or the copy is refused.
pub(crate) fn carry(original: &File, metadata: &fs::Metadata, copy: &File) -> std::io::Result<Vec<String>> {
    std::os::unix::fs::fchown(copy, Some(metadata.uid()), Some(metadata.gid()))?;
    copy.set_permissions(fs::Permissions::from_mode(metadata.mode() & 0o7777))?;
    let mut lost = Vec::new();
    let wanted: Vec<(OsString, Vec<u8>)> = match original.list_xattr() {
        Ok(names) => names.filter_map(|name| original.get_xattr(&name).ok().flatten().map(|v| (name, v))).collect(),
        Err(error) if xattr_unsupported(&error) => Vec::new(),
        Err(error) => {
            lost.push(format!("its extended attributes could not be read ({error})"));
            Vec::new()
        }
    };
    // Whatever the new file was given on creation that the original does not have.
    if let Ok(names) = copy.list_xattr() {
        for name in names {
            if !wanted.iter().any(|(w, _)| *w == name)
                && let Err(error) = copy.remove_xattr(&name)
            {
                lost.push(format!("{} (given to new files here) could not be taken off ({error})", name.display()));
            }
        }
    }
    // The ACL after every other attribute, so the mask it sets on the mode is the last word.
    let (acl, others): (Vec<_>, Vec<_>) = wanted.iter().partition(|(name, _)| name == "system.posix_acl_access");
    for (name, value) in others.into_iter().chain(acl) {
        if copy.get_xattr(name).ok().flatten().as_deref() == Some(value.as_slice()) {
            continue;
        }
        if let Err(error) = copy.set_xattr(name, value) {
            lost.push(format!("{} could not be carried over ({error})", name.display()));
        }
    }
    Ok(lost)
}

fn xattr_unsupported(error: &std::io::Error) -> bool {
    error.raw_os_error() == Some(rustix::io::Errno::NOTSUP.raw_os_error())
}
