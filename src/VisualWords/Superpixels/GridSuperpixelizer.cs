using VisualWords.Imaging;

namespace VisualWords.Superpixels;

/// <summary>
/// Baseline without semantics: a regular grid of <see cref="CellsPerSide"/>² cells, i.e. the regions
/// that patch pooling of a ViT feature map averages over. Cell (i, j) covers rows
/// [i·H/n, (i+1)·H/n) and columns [j·W/n, (j+1)·W/n) (integer division), so uneven sizes spread evenly.
/// </summary>
public sealed class GridSuperpixelizer(int cellsPerSide = 16) : ISuperpixelizer
{
    public int CellsPerSide { get; } = cellsPerSide >= 1 ? cellsPerSide
        : throw new BadInputException($"grid cells per side must be at least 1 (got {cellsPerSide})");

    public string Name => "grid";

    public SuperpixelPartition Partition(RgbImage image, TorchSharp.torch.Tensor? samEmbedding = null) => Partition(image.Height, image.Width);

    public SuperpixelPartition Partition(int height, int width)
    {
        int nY = Math.Min(CellsPerSide, height), nX = Math.Min(CellsPerSide, width);
        var labels = new int[height * width];
        for (int y = 0; y < height; y++)
        {
            int row = (int)((long)y * nY / height);
            for (int x = 0; x < width; x++) labels[y * width + x] = row * nX + (int)((long)x * nX / width);
        }
        return SuperpixelPartition.FromLabels(labels, height, width, _ => (RegionSource.GridCell, -1));
    }
}
