from django.template import Context, Template
from django.utils import translation


def test_state_and_action_codes_render_as_words_in_the_active_language():
    template = Template("{{ s|state_label }}|{{ a|action_label }}|{{ other|action_label }}")
    context = Context({"s": "submitted", "a": "return", "other": "edited"})
    with translation.override("en"):
        assert template.render(context) == "Submitted|Return|edited"
    with translation.override("th"):
        submitted, returned, other = template.render(context).split("|")
    assert (submitted, returned) != ("Submitted", "Return")
    assert other == "edited"
