//! Entry files opened by name within their folder.
//!
//! Opening `root/cluster-01/intentions/web.json` makes the kernel look up every folder on the
//! way, for each of thousands of files: the largest part of opening one. With the folder
//! opened once, each of its files is opened by its name alone (`openat`). What is opened is the
//! same file: the folder's path is resolved as the whole path would be, symlinks included, and
//! a folder that cannot be opened leaves its files to be opened by their whole path, which then
//! fails as it always did.
//!
//! Each opened folder holds a file descriptor while its cluster loads, and a process may have
//! as few as 256: only the first [`MOST_OPEN`] folders are opened, and the files of any others
//! are opened by their whole path, as before.

use std::collections::BTreeMap;
use std::fs::File;
use std::path::Path;

/// Folders held open at most: a small part of the descriptors a process is commonly allowed
/// (256 on macOS, 1,024 on Linux), leaving the rest to the files being read and the
/// connections to the clusters.
const MOST_OPEN: usize = 64;

/// The folders of a list of files (relative to a root), each opened once.
pub(super) struct Folders {
    folders: Vec<Folder>,
}

/// Which of [`Folders`] a file is in.
#[derive(Debug, Clone, Copy)]
pub(super) struct FolderIndex(usize);

impl Folders {
    /// Opens the folder of each of `files` (relative to `root`); with each file, which one.
    pub fn open<'a>(
        root: &Path,
        files: impl IntoIterator<Item = &'a Path>,
    ) -> (Self, Vec<FolderIndex>) {
        let mut indices: BTreeMap<&Path, FolderIndex> = BTreeMap::new();
        let mut folders = Vec::new();
        let of_file = files
            .into_iter()
            .map(|file| {
                let parent = file.parent().unwrap_or(Path::new(""));
                *indices.entry(parent).or_insert_with(|| {
                    let folder = if folders.len() < MOST_OPEN {
                        Folder::open(&root.join(parent))
                    } else {
                        Folder::unopened()
                    };
                    folders.push(folder);
                    FolderIndex(folders.len() - 1)
                })
            })
            .collect();
        (Self { folders }, of_file)
    }

    /// Opens for reading the file at `shown`, in folder `index`.
    pub fn file(&self, index: FolderIndex, shown: &Path) -> std::io::Result<File> {
        self.folders[index.0].file(shown)
    }
}

/// A folder opened to open its files in.
struct Folder {
    #[cfg(unix)]
    fd: Option<std::os::fd::OwnedFd>,
}

#[cfg(unix)]
impl Folder {
    fn open(path: &Path) -> Self {
        use rustix::fs::{Mode, OFlags};
        let flags = OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC;
        Self {
            fd: rustix::fs::open(path, flags, Mode::empty()).ok(),
        }
    }

    /// A folder whose files are opened by their whole path.
    fn unopened() -> Self {
        Self { fd: None }
    }

    /// The file at `shown`, opened by its name in this folder when the folder could be opened.
    fn file(&self, shown: &Path) -> std::io::Result<File> {
        use rustix::fs::{Mode, OFlags};
        match (&self.fd, shown.file_name()) {
            (Some(fd), Some(name)) => {
                rustix::fs::openat(fd, name, OFlags::RDONLY | OFlags::CLOEXEC, Mode::empty())
                    .map(File::from)
                    .map_err(std::io::Error::from)
            }
            _ => File::open(shown),
        }
    }
}

#[cfg(not(unix))]
impl Folder {
    fn open(_path: &Path) -> Self {
        Self {}
    }

    fn unopened() -> Self {
        Self {}
    }

    fn file(&self, shown: &Path) -> std::io::Result<File> {
        File::open(shown)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(file: std::io::Result<File>) -> String {
        std::io::read_to_string(file.expect("opened")).expect("read")
    }

    #[test]
    fn each_file_is_the_one_its_whole_path_names() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::create_dir_all(root.join("east/intentions")).unwrap();
        std::fs::write(root.join("east/web.json"), "web").unwrap();
        std::fs::write(root.join("east/intentions/api.json"), "api").unwrap();
        std::fs::write(root.join("east/intentions/db.json"), "db").unwrap();
        let files = [
            "east/web.json",
            "east/intentions/api.json",
            "east/intentions/db.json",
        ]
        .map(Path::new);
        let (folders, of_file) = Folders::open(root, files);
        let read: Vec<String> = files
            .iter()
            .zip(of_file)
            .map(|(file, index)| text(folders.file(index, &root.join(file))))
            .collect();
        assert_eq!(read, ["web", "api", "db"]);
        assert_eq!(folders.folders.len(), 2, "each folder is opened once");
    }

    #[test]
    fn past_the_folders_held_open_files_are_opened_by_their_whole_path() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        let files: Vec<std::path::PathBuf> = (0..MOST_OPEN + 20)
            .map(|i| {
                let file = std::path::PathBuf::from(format!("f{i:03}/web.json"));
                std::fs::create_dir(root.join(file.parent().unwrap())).unwrap();
                std::fs::write(root.join(&file), i.to_string()).unwrap();
                file
            })
            .collect();
        let (folders, of_file) = Folders::open(root, files.iter().map(|file| file.as_path()));
        #[cfg(unix)]
        assert_eq!(
            folders.folders.iter().filter(|f| f.fd.is_some()).count(),
            MOST_OPEN
        );
        for (i, (file, index)) in files.iter().zip(of_file).enumerate() {
            assert_eq!(text(folders.file(index, &root.join(file))), i.to_string());
        }
    }

    #[test]
    fn a_file_that_cannot_be_opened_fails_as_by_its_whole_path() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::create_dir(root.join("east")).unwrap();
        let files = [Path::new("east/gone.json"), Path::new("west/gone.json")];
        let (folders, of_file) = Folders::open(root, files);
        for (file, index) in files.iter().zip(of_file) {
            let shown = root.join(file);
            let error = folders.file(index, &shown).expect_err("no such file");
            let by_path = File::open(&shown).expect_err("no such file");
            assert_eq!(error.kind(), by_path.kind());
            assert_eq!(error.to_string(), by_path.to_string());
        }
    }
}
