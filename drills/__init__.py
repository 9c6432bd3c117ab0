"""Drills: the template's multi-process, fault, load, hostile-input and query-plan tests.

They are not part of a rendered project. The template's tests copy this folder into a
rendering and run the files that apply to its answers with that rendering's own virtualenv
and test settings (tests/test_render_matrix.py chooses the files):

    cp -r drills <project>/drills
    cd <project> && uv run --with websockets --with hypothesis pytest drills/test_load.py
"""
