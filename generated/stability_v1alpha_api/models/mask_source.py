from enum import StrEnum


class MaskSource(StrEnum):
    INIT_IMAGE_ALPHA = "INIT_IMAGE_ALPHA"
    MASK_IMAGE_BLACK = "MASK_IMAGE_BLACK"
    MASK_IMAGE_WHITE = "MASK_IMAGE_WHITE"

    def __str__(self) -> str:
        return str(self.value)
