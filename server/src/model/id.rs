//! Task IDs: `N(.N)*` with an optional trailing capital letter (`1.2.A`).

use std::fmt;

/// Stored inline (no heap): IDs are cloned and hashed for every node on every analysis.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct TaskId {
    len: u8,
    letter: Option<u8>,
    nums: [u32; MAX_SEGMENTS],
}

/// More numeric segments than this is not read as a task ID (the format has five).
pub const MAX_SEGMENTS: usize = 8;

/// Digits in one segment: more cannot be a task number and would overflow.
const MAX_SEGMENT_DIGITS: usize = 9;

impl Ord for TaskId {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        (self.nums(), self.letter).cmp(&(other.nums(), other.letter))
    }
}

impl PartialOrd for TaskId {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl TaskId {
    /// An ID from its numbers (at most `MAX_SEGMENTS`; more are dropped).
    pub fn new(nums: Vec<u32>, letter: Option<u8>) -> TaskId {
        TaskId::from_slice(&nums, letter)
    }

    fn from_slice(nums: &[u32], letter: Option<u8>) -> TaskId {
        debug_assert!(!nums.is_empty() && nums.len() <= MAX_SEGMENTS);
        let len = nums.len().min(MAX_SEGMENTS);
        let mut inline = [0; MAX_SEGMENTS];
        inline[..len].copy_from_slice(&nums[..len]);
        TaskId {
            len: len as u8,
            letter,
            nums: inline,
        }
    }

    pub fn nums(&self) -> &[u32] {
        &self.nums[..self.len as usize]
    }

    pub fn letter(&self) -> Option<u8> {
        self.letter
    }

    /// Level: the numeric segments, plus one for a check-task letter.
    pub fn level(&self) -> usize {
        self.len as usize + usize::from(self.letter.is_some())
    }

    /// The stage is the first number.
    pub fn stage(&self) -> u32 {
        self.nums[0]
    }

    /// The last number (for a letter ID, the parent's).
    pub fn last_num(&self) -> u32 {
        *self.nums().last().expect("an ID has a number")
    }

    pub fn parent(&self) -> Option<TaskId> {
        if self.letter.is_some() {
            return Some(TaskId {
                letter: None,
                ..self.clone()
            });
        }
        (self.len > 1).then(|| {
            let mut parent = self.clone();
            parent.len -= 1;
            parent.nums[parent.len as usize] = 0;
            parent
        })
    }

    /// The child numbered `num` (past `MAX_SEGMENTS` the ID is returned unchanged).
    pub fn child(&self, num: u32) -> TaskId {
        let mut child = TaskId {
            letter: None,
            ..self.clone()
        };
        if (child.len as usize) < MAX_SEGMENTS {
            child.nums[child.len as usize] = num;
            child.len += 1;
        }
        child
    }

    /// Whether `self` is a strict ancestor of `other`.
    pub fn is_ancestor_of(&self, other: &TaskId) -> bool {
        if self.letter.is_some() {
            return false;
        }
        let deeper = other.len > self.len || (other.len == self.len && other.letter.is_some());
        deeper && other.nums().starts_with(self.nums())
    }

    /// Parses an ID at the start of `s`; returns it and the bytes it took. The ID must not
    /// be followed by a letter, digit or another dotted segment, nor by underscores that
    /// join it to a word (`1.2_x`); underscores that close emphasis (`__1.2__`) may follow.
    pub fn parse_prefix(s: &str) -> Option<(TaskId, usize)> {
        let b = s.as_bytes();
        let mut nums = [0u32; MAX_SEGMENTS];
        let mut count = 0;
        let mut i = 0;
        let mut letter = None;
        loop {
            let start = i;
            while i < b.len() && b[i].is_ascii_digit() {
                i += 1;
            }
            if i == start || i - start > MAX_SEGMENT_DIGITS {
                if start > 0 && i == start && b.get(start).is_some_and(u8::is_ascii_uppercase) {
                    // `1.2.A`: a capital letter after a dot closes the ID.
                    if !joined(b, start + 1) {
                        letter = Some(b[start]);
                        i = start + 1;
                        break;
                    }
                }
                if i == start && start > 0 {
                    // A trailing dot (`1.1.`) is punctuation, not a segment.
                    i = start - 1;
                    break;
                }
                return None;
            }
            if count == MAX_SEGMENTS {
                return None;
            }
            nums[count] = s[start..i].parse().ok()?;
            count += 1;
            if b.get(i) == Some(&b'.')
                && b.get(i + 1)
                    .is_some_and(|c| c.is_ascii_digit() || c.is_ascii_uppercase())
            {
                i += 1;
                continue;
            }
            break;
        }
        if count == 0 || joined(b, i) {
            return None;
        }
        Some((TaskId::from_slice(&nums[..count], letter), i))
    }

    pub fn parse(s: &str) -> Option<TaskId> {
        match TaskId::parse_prefix(s) {
            Some((id, len)) if len == s.len() => Some(id),
            _ => None,
        }
    }
}

/// Whether the text at `i` continues a word: a letter or digit, after any underscores.
fn joined(b: &[u8], i: usize) -> bool {
    let after_underscores = b[i.min(b.len())..]
        .iter()
        .position(|&c| c != b'_')
        .map_or(b.len(), |p| i + p);
    b.get(after_underscores)
        .is_some_and(|c| c.is_ascii_alphanumeric())
}

impl fmt::Display for TaskId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, n) in self.nums().iter().enumerate() {
            if i > 0 {
                f.write_str(".")?;
            }
            write!(f, "{n}")?;
        }
        if let Some(letter) = self.letter {
            write!(f, ".{}", letter as char)?;
        }
        Ok(())
    }
}

impl fmt::Debug for TaskId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{self}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_ids() {
        let (id, len) = TaskId::parse_prefix("1.2.3 Title").unwrap();
        assert_eq!((id.to_string(), len, id.level()), ("1.2.3".into(), 5, 3));
        let (id, len) = TaskId::parse_prefix("1.2.A Validate").unwrap();
        assert_eq!((id.to_string(), len, id.level()), ("1.2.A".into(), 5, 3));
        let (id, len) = TaskId::parse_prefix("1.1. Title").unwrap();
        assert_eq!((id.to_string(), len), ("1.1".into(), 3));
        assert_eq!(TaskId::parse_prefix("2: CORE").unwrap().1, 1);
        assert_eq!(TaskId::parse_prefix("1.2.Add").unwrap().1, 3);
        assert!(TaskId::parse_prefix("1.2x").is_none());
        // Underscores may close emphasis, not join a word.
        assert_eq!(TaskId::parse_prefix("1.2__ Title").unwrap().1, 3);
        assert_eq!(TaskId::parse_prefix("1.2.A_ Validate").unwrap().1, 5);
        assert_eq!(TaskId::parse_prefix("1.2_").unwrap().1, 3);
        assert!(TaskId::parse_prefix("1.2_x").is_none());
        assert_eq!(
            TaskId::parse_prefix("1.2.A_b").unwrap().0.to_string(),
            "1.2"
        );
        assert!(TaskId::parse_prefix("v1.2").is_none());
        assert!(TaskId::parse_prefix("12345678901.1").is_none());
    }

    #[test]
    fn too_many_segments_is_no_id() {
        assert!(TaskId::parse_prefix("1.2.3.4.5.6.7.8").is_some());
        assert!(TaskId::parse_prefix("1.2.3.4.5.6.7.8.9").is_none());
    }

    #[test]
    fn family() {
        let id = TaskId::parse("1.2.3").unwrap();
        assert_eq!(id.parent().unwrap().to_string(), "1.2");
        assert_eq!(
            TaskId::parse("1.2.A")
                .unwrap()
                .parent()
                .unwrap()
                .to_string(),
            "1.2"
        );
        assert!(TaskId::parse("1.2").unwrap().is_ancestor_of(&id));
        assert!(TaskId::parse("1.2")
            .unwrap()
            .is_ancestor_of(&TaskId::parse("1.2.B").unwrap()));
        assert!(!id.is_ancestor_of(&id));
        assert!(!TaskId::parse("1.3").unwrap().is_ancestor_of(&id));
    }
}
