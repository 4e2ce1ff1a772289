"""A case class's extra questions on the report pages (phone, station, staff intake).

Every active class's questions are rendered at once, one group per class, as fields named
`attribute[<code>]` like Open311's; `nuanxin/questions.js` shows only the chosen class's group
(and disables the others so they are not sent). Without JS every group shows, titled with its
class, so only the chosen class's answers are read back. The rules (required, offered values,
numbers) stay in report_case: its refusal at `attribute[<code>]` is shown here at that field.
"""

from dataclasses import dataclass, field
from typing import Any

from nuanxin.cases.models import CaseClass

# Open311 datatypes → how the field is drawn (see templates/cases/_questions.html).
INPUTS = {
    "string": "text",
    "text": "textarea",
    "number": "number",
    "datetime": "datetime-local",
    "singlevaluelist": "select",
    "multivaluelist": "checkboxes",
}


@dataclass
class QuestionField:
    code: str
    name: str
    label: str
    input: str
    required: bool
    choices: list[tuple[str, str]]
    value: str = ""
    values: list[str] = field(default_factory=list)
    error: str = ""


@dataclass
class QuestionGroup:
    class_code: str
    class_name: str
    fields: list[QuestionField]


class ClassQuestions:
    """The questions of every active class, with what was typed (`data`, a QueryDict) and the
    refusal of report_case shown at its field. Loads the classes once, on first use."""

    def __init__(self, data: Any = None) -> None:
        self.data = data
        self._groups: list[QuestionGroup] | None = None

    @property
    def groups(self) -> list[QuestionGroup]:
        if self._groups is None:
            classes = CaseClass.objects.filter(active=True).only("code", "name", "questions")
            self._groups = [self._group(c) for c in classes if c.questions]
            self._fill_values()
        return self._groups

    @staticmethod
    def _group(case_class: CaseClass) -> QuestionGroup:
        fields = []
        for question in case_class.questions:
            code = str(question["code"])
            values = question.get("values") or []
            datatype = str(question.get("datatype", "string"))
            fields.append(
                QuestionField(
                    code=code,
                    name=f"attribute[{code}]",
                    label=str(question.get("label") or code),
                    input=INPUTS.get(datatype, "select" if values else "text"),
                    required=bool(question.get("required")),
                    choices=[(str(v["key"]), str(v.get("name") or v["key"])) for v in values],
                )
            )
        return QuestionGroup(class_code=case_class.code, class_name=case_class.name, fields=fields)

    def _fill_values(self) -> None:
        """Each field's submitted value. Two classes may ask a question with the same code:
        with JS only the shown group is sent; without JS every group is, in page order, so the
        n-th value of a name belongs to the n-th group asking it."""
        if self.data is None or self._groups is None:
            return
        sharing: dict[str, list[QuestionField]] = {}
        for group in self._groups:
            for question in group.fields:
                sharing.setdefault(question.name, []).append(question)
        for name, questions in sharing.items():
            sent = [str(v) for v in self.data.getlist(name)]
            for index, question in enumerate(questions):
                if question.input == "checkboxes":
                    question.values = sent
                elif len(sent) == len(questions):
                    question.value = sent[index]
                elif len(sent) == 1:
                    question.value = sent[0]

    def group_for(self, case_class: CaseClass) -> QuestionGroup | None:
        return next((g for g in self.groups if g.class_code == case_class.code), None)

    def answers_for(self, case_class: CaseClass) -> dict[str, Any]:
        """The chosen class's answers as report_case takes them; other classes' are ignored."""
        group = self.group_for(case_class)
        if group is None:
            return {}
        answers: dict[str, Any] = {}
        for question in group.fields:
            if question.input == "checkboxes":
                answers[question.code] = [v.strip() for v in question.values if v.strip()]
            else:
                answers[question.code] = question.value.strip()
        return answers

    def add_error(self, case_class: CaseClass, name: str, message: str) -> bool:
        """Show a refusal at the chosen class's field `name`; False if it asks no such question."""
        group = self.group_for(case_class)
        for question in group.fields if group else []:
            if question.name == name:
                question.error = message
                return True
        return False

    @property
    def has_errors(self) -> bool:
        return any(q.error for g in self.groups for q in g.fields)
