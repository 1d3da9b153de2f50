"""Written answers graded by people: a page for teaching assistants, a scores sheet they fill in,
and merging their scores into the batch's reports."""
