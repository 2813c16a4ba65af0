from enum import StrEnum


class Accept(StrEnum):
    APPLICATIONJSON = "application/json"
    IMAGEPNG = "image/png"

    def __str__(self) -> str:
        return str(self.value)
