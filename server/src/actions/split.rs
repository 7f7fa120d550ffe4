//! `non-atomic`: split a leaf into one sibling per action, numbered on from the leaf's
//! number; the siblings after it, their subtrees and every reference to them move up.

use super::renumber::{self, Last, Renumbering};
use super::{capitalise, insert_lines_after, name, Action, Doc, Edit};
use crate::model::id::TaskId;
use crate::rules::Finding;

/// The quick fix of a `non-atomic` finding.
pub fn fix(doc: &Doc, finding: &Finding) -> Option<Action> {
    let i = doc.node_at(finding.location)?;
    let tree = doc.tree;
    let node = &tree.nodes[i];
    let written = node.written?;
    let actions = &written.actions;
    if actions.len() < 2 || node.id.letter().is_some() {
        return None;
    }
    let group = doc.sparent[i];
    let members = renumber::group_members(doc, group)?;
    let shift = actions.len() as u32 - 1;
    let first = node.id.last_num();
    let mut r = Renumbering::default();
    for &s in &members {
        let num = tree.nodes[s].id.last_num();
        if s != i && num > first {
            r.last.insert(s, Last::Num(num + shift));
        }
    }
    let mut edits = renumber::edits(doc, &r);

    let (ts, te) = doc.title_range(i);
    edits.push(Edit::replace(node.line, ts, te, capitalise(&actions[0])));
    let mut style = doc.style_of(i);
    if written.checkbox == Some(true) {
        style.before = style.before.replacen("[ ]", "[x]", 1);
    }
    let prefix = node.id.nums()[..node.id.nums().len() - 1].to_vec();
    let ids: Vec<TaskId> = (0..actions.len() as u32)
        .map(|k| {
            let mut nums = prefix.clone();
            nums.push(first + k);
            TaskId::new(nums, None)
        })
        .collect();
    let lines: Vec<String> = actions[1..]
        .iter()
        .zip(&ids[1..])
        .map(|(a, id)| style.render(id, &capitalise(a)))
        .collect();
    edits.push(insert_lines_after(doc.rope, doc.node_end_line(i), &lines));

    let shown: Vec<String> = ids.iter().map(|id| id.to_string()).collect();
    let title = format!(
        "Split {} into {} tasks ({})",
        name(tree, i),
        actions.len(),
        shown.join(", ")
    );
    Some(Action::quick_fix(title, edits, vec![finding.clone()]).preferred(true))
}

#[cfg(test)]
mod tests {
    use super::super::testing::*;
    use crate::rules::Code;

    #[test]
    fn splits_and_moves_the_following_siblings_and_references() {
        let text = "\
Phase 1: Build (Dependencies: None | Stage Gate: ok)
- [ ] **1.1** Implement the login endpoint and add tests for it
- [ ] **1.2** Write the docs (Dependencies: 1.1)
- [ ] **1.3** Deploy (Dependencies: 1.2 | Stage Gate: ok)
  - [ ] **1.3.1** Build the image
  - [ ] **1.3.A** Validate Task 1.3
  - [ ] **1.3.B** Verify Task 1.3
  - [ ] **1.3.C** Document Task 1.3
- [ ] **1.A** Validate Task 1
- [ ] **1.B** Verify Task 1
- [ ] **1.C** Document Task 1

Phase 2: Ship (Dependencies: 1.3.1, Task 1.2 | Stage Gate: ok)
- [ ] **2.1** Tag the release
- [ ] **2.A** Validate Task 2
- [ ] **2.B** Verify Task 2
- [ ] **2.C** Document Task 2
";
        let action = fix_on(text, Code::NonAtomic, 2, "Split");
        assert_eq!(action.title, "Split Phase 1.1 into 2 tasks (1.1, 1.2)");
        let after = apply_checked(text, &action);
        assert_eq!(
            after,
            "\
Phase 1: Build (Dependencies: None | Stage Gate: ok)
- [ ] **1.1** Implement the login endpoint
- [ ] **1.2** Add tests for it
- [ ] **1.3** Write the docs (Dependencies: 1.1)
- [ ] **1.4** Deploy (Dependencies: 1.3 | Stage Gate: ok)
  - [ ] **1.4.1** Build the image
  - [ ] **1.4.A** Validate Task 1.4
  - [ ] **1.4.B** Verify Task 1.4
  - [ ] **1.4.C** Document Task 1.4
- [ ] **1.A** Validate Task 1
- [ ] **1.B** Verify Task 1
- [ ] **1.C** Document Task 1

Phase 2: Ship (Dependencies: 1.4.1, Task 1.3 | Stage Gate: ok)
- [ ] **2.1** Tag the release
- [ ] **2.A** Validate Task 2
- [ ] **2.B** Verify Task 2
- [ ] **2.C** Document Task 2
"
        );
        assert!(
            findings_of(&after).is_empty(),
            "{:?}",
            brief(&findings_of(&after))
        );
    }

    #[test]
    fn shared_object_split_keeps_the_notes_on_the_first() {
        let text = "\
Phase 1: Build (Dependencies: None | Stage Gate: ok)
1.1 Build and push the API image (Dependencies: None)
1.A Validate Task 1
1.B Verify Task 1
1.C Document Task 1
";
        let action = fix_on(text, Code::NonAtomic, 2, "Split");
        let after = apply_checked(text, &action);
        assert_eq!(
            after,
            "\
Phase 1: Build (Dependencies: None | Stage Gate: ok)
1.1 Build the API image (Dependencies: None)
1.2 Push the API image
1.A Validate Task 1
1.B Verify Task 1
1.C Document Task 1
"
        );
    }
}
