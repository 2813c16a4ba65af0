from enum import StrEnum


class FinishReason(StrEnum):
    CONTENT_FILTERED = "CONTENT_FILTERED"
    ERROR = "ERROR"
    SUCCESS = "SUCCESS"

    def __str__(self) -> str:
        return str(self.value)
