; Block-level constructs that decide what a line of a task list can be.
; Captured nodes mark whole line ranges (code, tables, HTML, front matter, quotes)
; or the prefix to skip on one line (heading marks, list markers).
(fenced_code_block) @code
(indented_code_block) @code
(html_block) @html
(pipe_table) @table
(minus_metadata) @front_matter
(plus_metadata) @front_matter
(block_quote) @quote
(atx_heading) @heading
(setext_heading) @setext_heading
(thematic_break) @other
(link_reference_definition) @other
(list_marker_minus) @list_marker
(list_marker_plus) @list_marker
(list_marker_star) @list_marker
(list_marker_dot) @list_marker
(list_marker_parenthesis) @list_marker
(atx_h1_marker) @heading_marker
(atx_h2_marker) @heading_marker
(atx_h3_marker) @heading_marker
(atx_h4_marker) @heading_marker
(atx_h5_marker) @heading_marker
(atx_h6_marker) @heading_marker
