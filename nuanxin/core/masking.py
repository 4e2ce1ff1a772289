"""How personal data is shown: masked everywhere except an audited reveal."""


def mask_phone(phone: str) -> str:
    """138****5678: the first three and last four digits."""
    if not phone:
        return ""
    if len(phone) < 8:
        return "*" * len(phone)
    return f"{phone[:3]}****{phone[-4:]}"


def mask_id_number(id_number: str) -> str:
    """The first six (region) and last four characters; the birth date never shows."""
    if not id_number:
        return ""
    if len(id_number) < 11:
        return "*" * len(id_number)
    return f"{id_number[:6]}{'*' * (len(id_number) - 10)}{id_number[-4:]}"


def mask_name(name: str) -> str:
    """张三丰 -> 张**: the first character only (a one-character name still shows a star)."""
    name = (name or "").strip()
    return f"{name[0]}{'*' * max(len(name) - 1, 1)}" if name else ""
